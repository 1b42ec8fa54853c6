"""Declared incidents (plan section 3 to 5): declaration, command and control (groups, roles,
level, ERCO, strategy, engagement), the summary card, and standing down (de-escalation,
re-escalation, closure, review, lessons)."""
