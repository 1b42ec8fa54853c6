"""Situation reports (plan 3.23-3.24): updates, collation, approval, and the cadence of
prompts, chases and cut-offs as a due source of the tick."""
