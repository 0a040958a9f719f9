"""Custom event types: delivered as-is, for your own front end or consumer.

Publishes a custom event and reads it back from the stream like any SSE client would.
Needs JUPYTER_SSE_URL plus a Jupyter token in JUPYTER_TOKEN to read (a publish token
may only publish).
"""

import json
import os
import threading

import httpx

import jupyter_sse as sse

url = os.environ["JUPYTER_SSE_URL"] + "sse/stream"
headers = {"Authorization": f"token {os.environ['JUPYTER_TOKEN']}"}
ready = threading.Event()


def publish_when_ready() -> None:
    ready.wait(10)
    sse.publish("examples/custom", "deploy.finished", {"service": "api", "version": "1.4.2"})
    sse.flush()


threading.Thread(target=publish_when_ready, daemon=True).start()
with httpx.stream("GET", url, params={"channel": "examples/custom"}, headers=headers) as stream:
    event = None
    for line in stream.iter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
            ready.set()  # the snapshot arrived: the subscription is live
        elif line.startswith("data: ") and event == "deploy.finished":
            print("received", json.loads(line[len("data: ") :])["data"])
            break
