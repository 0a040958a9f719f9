"""Alerts: a notice for everyone watching, that the server also sends to its webhooks.

``ch.alert(...)`` is a ``notify`` marked ``"alert": true``: viewers show it as a toast,
and every webhook of ``c.SSEApp.webhooks`` whose channels cover it receives it, whatever
its level (see examples/jupyter_server_config.py for a Slack, Discord or ntfy webhook).
Without webhooks it is a toast like any other.
"""

import jupyter_sse as sse

ch = sse.channel("examples/alerts")
ch.status("loss", "diverging", variant="error")
ch.alert("loss diverged at step 1200: stopping the run", level="error", title="run 7")
sse.flush()
print("alert sent")
