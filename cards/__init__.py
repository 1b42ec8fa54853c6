"""Forms and cards, authored once (neutral) and rendered as Adaptive Cards or Block Kit."""
