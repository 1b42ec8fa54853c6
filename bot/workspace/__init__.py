"""The local web workspace: a chat page served by the bot, with no account anywhere."""
