"""Microsoft Teams: the only package that imports botbuilder (see docs/install-teams.md on the SDK)."""
