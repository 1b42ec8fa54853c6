"""The command engine: one use case per verb of ``/opss``, shared by every surface."""
