"""Microsoft Teams: the only package that imports botbuilder (see the README on the SDK)."""
