"""The decision log: recording decisions, their cards, and ``/opss decide``."""
