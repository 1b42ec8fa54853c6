"""The engine's frame, shared by every concept: the entry (``engine.py``), what a use case is
given and gives back (``context.py``), checked input, arguments, access, lookup, the clock,
form flows, people and help. ``engine.py`` and ``due.py`` list the concepts; nothing else here
imports a concept's package."""
