"""A person's overview (App Home) and the paged lists (``/opss list``)."""
