"""tqdm, published: change one import and every bar also streams to a channel.

Run it in a notebook cell, or as a script with JUPYTER_SSE_URL and JUPYTER_SSE_TOKEN set.
"""

import time

from tqdm.contrib.concurrent import thread_map

import jupyter_sse as sse
from jupyter_sse import tqdm, trange  # instead of: from tqdm.auto import tqdm, trange

ch = sse.channel("examples/tqdm")

# The bar's key on the channel is its desc: a rerun of the loop updates the same bar.
# set_postfix values become statuses ("epoch/loss", "epoch/phase").
for epoch in trange(3, desc="epoch", channel=ch):
    bar = tqdm(range(50), desc="batch", channel=ch, leave=False, position=1)
    for step in bar:
        time.sleep(0.001)
        bar.set_postfix(loss=1 / (epoch * 50 + step + 1), phase="train")

# Unknown length: a counter, no total.
with tqdm(desc="bytes", unit="B", channel=ch) as counter:
    for _ in range(20):
        counter.update(512)

# Libraries that take a tqdm class get one that publishes.
squares = thread_map(lambda x: x * x, range(40), tqdm_class=tqdm, channel=ch, desc="squares")

try:
    import pandas as pd
except ImportError:
    print("pandas is not installed: skipping progress_apply")
else:
    tqdm.pandas(desc="rows", channel=ch)
    frame = pd.DataFrame({"a": range(100), "b": range(100)})
    frame.progress_apply(lambda row: row.a + row.b, axis=1)

sse.flush()
print(f"published {sum(squares)} worth of squares")
