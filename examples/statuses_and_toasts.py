"""Statuses become badges (latest value per key); notifications become toasts."""

import jupyter_sse as sse

ch = sse.channel("examples/status")
ch.status("phase", "preprocessing", variant="info")
ch.status("gpu", "A100 x 2")
ch.status("phase", "training", variant="warning")  # replaces the badge above
ch.notify("Checkpoint saved", title="step 1000", level="success")
ch.log("validation started", level="info")
ch.status("phase", "done", variant="success")
sse.flush()
