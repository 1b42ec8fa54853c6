"""The use cases of the plan, one package per concept, shared by every surface; the engine's
frame in ``core/`` and the tick's framework in ``schedule.py`` (see docs/architecture.md)."""
