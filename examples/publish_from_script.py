"""Publish a (simulated) training run from a plain Python script.

Where the events go is found the same way as in a notebook:

* in a terminal of JupyterLab (or any process started under a Jupyter server with the
  extension), nothing to set: the server's runtime file is found;
* anywhere else, point it at the server first::

      export JUPYTER_SSE_URL=http://127.0.0.1:8888/      # the server's base URL
      export JUPYTER_SSE_TOKEN=<the server's Jupyter token>
      python examples/publish_from_script.py

Then open ``sse/dashboard?channel=train/*`` on the server, or show
``sse.channel("train/demo")`` in a notebook, and watch it live.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import jupyter_sse as sse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default="train/demo", help="channel to publish to")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200, help="steps per epoch")
    parser.add_argument("--delay", type=float, default=0.01, help="seconds per step")
    args = parser.parse_args()

    ch = sse.channel(args.channel)
    ch.status("phase", "training", variant="info")
    results = ch.table("epochs")
    step = 0
    # The with-form reports an exception (or Ctrl-C) on the bar before it propagates.
    with ch.progress(range(args.epochs), label="epochs") as epochs:
        for epoch in epochs:
            loss = 0.0
            for _ in ch.progress(range(args.steps), label=f"epoch {epoch + 1}"):
                step += 1
                loss = 2.0 * math.exp(-step / 300) + random.uniform(0, 0.05)
                # Publishing never blocks: a metric per step costs microseconds.
                ch.metric(step=step, loss=loss, lr=1e-3 * 0.5**epoch)
                time.sleep(args.delay)
            results.append({"epoch": epoch + 1, "loss": round(loss, 4)})
            ch.log(f"epoch {epoch + 1} done, loss {loss:.4f}")

    ch.status("phase", "done", variant="success")
    ch.notify(f"{args.epochs} epochs finished", title="Training", level="success")
    sse.flush(timeout=10)  # before exit: make sure the last events were delivered
    print("published:", sse.stats())


if __name__ == "__main__":
    main()
