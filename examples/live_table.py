"""A live table: rows appended from anywhere, the newest shown first, bounded."""

import random

import jupyter_sse as sse

results = sse.channel("examples/sweep").table("results")
for lr in (0.3, 0.1, 0.03, 0.01):
    for batch_size in (32, 64):
        results.append({"lr": lr, "batch": batch_size, "score": round(random.random(), 3)})
sse.flush()
