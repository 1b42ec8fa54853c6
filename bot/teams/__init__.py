"""Microsoft Teams: the only package that imports botbuilder (docs/install-teams.md, the SDK)."""
