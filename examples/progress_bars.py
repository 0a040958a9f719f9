"""Progress bars: a tqdm-like iterator, and a context manager for manual updates.

Run it in a notebook cell, or as a script with JUPYTER_SSE_URL and JUPYTER_SSE_TOKEN set.
"""

import time

import jupyter_sse as sse

ch = sse.channel("examples/progress")

# Wrap any iterable: total comes from len(), rate and ETA are computed, and updates are
# throttled (10 per second at most), so a tight loop costs almost nothing.
for _item in ch.progress(range(300), label="download"):
    time.sleep(0.002)

# Or drive it by hand; leaving the block marks it done (or failed, with the exception).
with ch.progress(total=1.0, label="upload", key="upload") as bar:
    for _ in range(10):
        time.sleep(0.01)
        bar.update(0.1)

sse.flush()
