"""Compare runs: one channel per run of a sweep, so the dashboard can overlay them.

Open ``<server>/sse/dashboard?channel=examples/runs/*`` (or pick the runs in the
channel list), then "Compare 3 runs": one metric of every run on one chart, one colour
per run, with smoothing, log scale, zoom and CSV/PNG downloads.
"""

import math
import random

import jupyter_sse as sse

rng = random.Random(7)
for lr in (0.1, 0.03, 0.01):
    ch = sse.channel(f"examples/runs/lr-{lr}")
    ch.status("lr", lr, variant="info")
    for step in range(300):
        # Noisy losses that fall at a rate set by the learning rate: smoothing shows the trend.
        loss = 2 * math.exp(-step * lr / 3) + 0.02 + rng.gauss(0, 0.05 * math.exp(-step / 200))
        ch.metric(step=step, loss=max(loss, 1e-3), acc=1 - math.exp(-step * lr / 4))
sse.flush()
print("compare at sse/dashboard?channel=examples/runs/*")
