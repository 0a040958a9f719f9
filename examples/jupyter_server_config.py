"""A jupyter_server_config.py for jupyter-sse: copy the lines you need.

Start a server with it: jupyter lab --config examples/jupyter_server_config.py
"""

c = get_config()  # type: ignore[name-defined]  # noqa: F821

# Share one stream between several servers and publishers (see docs/scaling.md).
# c.SSEApp.redis_url = "redis://localhost:6379/0"

c.SSEApp.history_size = 5000  # events per channel a reconnecting client can catch up on
c.SSEApp.history_ttl = 6 * 3600  # seconds
c.SSEApp.heartbeat_interval = 15  # seconds; keeps proxies from closing idle streams
c.SSEApp.max_write_delay = 10  # ms a write may wait after a long one, for events to share it
c.SSEApp.publish_rate_limit = 50_000  # events/s per caller; 0 for no limit
c.SSEApp.viewer_token_ttl_max = 24 * 3600  # share links live at most a day
# On by default: full garbage collections skip the objects the server held at start.
# c.SSEApp.freeze_gc = False

# The server's own channels: jupyter/system is sampled (while watched) every this many
# seconds; a cell that ran this long is announced on jupyter/activity when it ends.
c.SSEApp.system_interval = 2
c.SSEApp.notify_cells_after = 5 * 60

# Alerts out: failed long cells (level error) and every ch.alert(...) to a team chat,
# and every long cell, finished or failed, to a phone through ntfy.
c.SSEApp.webhooks = [
    # {"url": "https://hooks.slack.com/services/T000/B000/XXXX", "format": "slack"},
    # {"url": "https://discord.com/api/webhooks/000/XXXX", "format": "discord"},
    # {
    #     "url": "https://ntfy.sh",
    #     "format": "ntfy",
    #     "topic": "my-long-random-topic",
    #     "channels": ["jupyter/activity"],
    #     "levels": ["success", "error"],
    # },
]
c.SSEApp.webhook_queue_size = 100  # events waiting per webhook; the oldest go past it

# Chat next to the results (sse/chat) and who is watching (presence).
c.SSEApp.chat_max_chars = 2000  # characters per message
c.SSEApp.chat_rate_limit = 1  # messages a second per person, on average
c.SSEApp.chat_snapshot_messages = 200  # messages a page gets when it (re)loads
