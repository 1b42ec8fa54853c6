"""Actions (plan 3.10): assigned, progressed from their card, and chased as a due source of
the tick."""
