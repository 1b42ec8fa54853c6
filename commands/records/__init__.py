"""Records to take away (plan 3.23, 5.1): the exports of an incident as files."""
