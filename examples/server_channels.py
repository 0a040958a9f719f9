"""The server's own channels: this machine's metrics, and what its kernels do.

Reads one sample of ``jupyter/system`` (the server samples only while someone watches)
and the current statuses of ``jupyter/activity``, like any SSE client would. Needs
JUPYTER_SSE_URL (the server's base URL) and a Jupyter token in JUPYTER_TOKEN.

Any client reads them the same way: ``sse/stream?channel=jupyter/system``, or show
``sse.channel("jupyter/activity")`` in a notebook. The dashboard draws both in its
System and Activity views (``sse/dashboard#system``, ``#activity``).
"""

import json
import os

import httpx

url = os.environ["JUPYTER_SSE_URL"] + "sse/stream"
headers = {"Authorization": f"token {os.environ['JUPYTER_TOKEN']}"}
params = [("channel", "jupyter/system"), ("channel", "jupyter/activity")]

with httpx.stream("GET", url, params=params, headers=headers, timeout=30) as stream:
    event = None
    for line in stream.iter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            envelope = json.loads(line[len("data: ") :])
            if envelope["channel"] == "jupyter/activity" and event == "snapshot":
                kernels = envelope["data"].get("status", {})
                print(f"{len(kernels)} kernel(s):", {k: s["value"] for k, s in kernels.items()})
            elif event == "system.info":
                gpu = envelope["data"]["gpu"]
                print("GPU:", gpu["devices"] if gpu["available"] else gpu["reason"])
            elif event == "metric":
                v = envelope["data"]["values"]
                print(
                    f"cpu {v['cpu_percent']}%, memory {v['memory_percent']}%, "
                    f"server RSS {v['process_rss'] / 2**20:.0f} MB, disk {v['disk_percent']}%"
                )
                break
