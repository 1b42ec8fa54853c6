"""The imperative shell: the aiohttp server, surfaces (local workspace, Slack, Teams), outbox."""
