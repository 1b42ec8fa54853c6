"""The Slack surface: slack-bolt (async) on the bot's aiohttp server, and a Slack messenger."""
