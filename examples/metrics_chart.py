"""Metrics: one streaming line chart per channel, one series per value name."""

import math

import jupyter_sse as sse

ch = sse.channel("examples/metrics")
for step in range(500):
    ch.metric(step=step, loss=2 * math.exp(-step / 100) + 0.05, acc=1 - math.exp(-step / 150))
# NaN and infinity are sent as null (a gap in the line), never as invalid JSON.
ch.metric(step=500, loss=float("nan"))
sse.flush()
