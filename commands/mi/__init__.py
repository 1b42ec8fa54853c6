"""Management information across every live issue and incident (plan 3.20, 6.4)."""
