"""Readiness for incidents (plan section 6): the roster of trained staff, the exercise
programme with its injects, and the plan's annual review pack."""
