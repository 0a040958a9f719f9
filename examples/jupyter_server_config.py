"""A jupyter_server_config.py for jupyter-sse: copy the lines you need.

Start a server with it: jupyter lab --config examples/jupyter_server_config.py
"""

c = get_config()  # type: ignore[name-defined]  # noqa: F821

# Share one stream between several servers and publishers (see docs/scaling.md).
# c.SSEApp.redis_url = "redis://localhost:6379/0"

c.SSEApp.history_size = 5000  # events per channel a reconnecting client can catch up on
c.SSEApp.history_ttl = 6 * 3600  # seconds
c.SSEApp.heartbeat_interval = 15  # seconds; keeps proxies from closing idle streams
c.SSEApp.publish_rate_limit = 50_000  # events/s per caller; 0 for no limit
c.SSEApp.viewer_token_ttl_max = 24 * 3600  # share links live at most a day
# On by default: full garbage collections skip the objects the server held at start.
# c.SSEApp.freeze_gc = False
