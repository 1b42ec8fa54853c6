"""Case conferences (plan 2.14-2.20)."""
