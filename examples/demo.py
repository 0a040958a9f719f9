"""The one-command demo: a Jupyter server with jupyter-sse, and a fake training run
streaming progress, metrics, statuses, table rows, logs and toasts into it, next to the
server's own live metrics (``jupyter/system``: this machine, the server, its kernels).

    python examples/demo.py [--port 8888] [--duration SECONDS]

It prints the URLs to watch: the dashboard (as you, and as a read-only viewer link),
JupyterLab with a notebook that shows the live widget, and a raw stream for curl.
No Redis and no configuration: the embedded broker is the default.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--duration", type=float, default=0, help="stop after N s (0: Ctrl-C)")
    args = parser.parse_args()

    # A plain `kill` must stop the server too: turn SIGTERM into the same clean exit as
    # Ctrl-C, so the `finally` below runs instead of leaving the server orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    token = secrets.token_hex(16)
    runtime = Path(tempfile.mkdtemp(prefix="jupyter-sse-demo-"))
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab" if _has("jupyterlab") else "jupyter_server",
            f"--port={args.port}",
            f"--ServerApp.token={token}",
            "--no-browser",
            f"--ServerApp.root_dir={HERE}",
            "--ServerApp.port_retries=0",
        ]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        info = _wait_for_runtime_file(runtime, server)
        # Publish as a kernel of this server would: with its publish-only token.
        os.environ["JUPYTER_SSE_URL"] = info["url"]
        os.environ["JUPYTER_SSE_TOKEN"] = info["token"]
        import jupyter_sse as sse

        base = info["url"]
        # The fake run, and the server's real system channel next to it.
        watched = ["demo/*", "jupyter/system"]
        link = sse.share(watched, ttl="8h", server_url=base, token=token)
        channels = "&".join(f"channel={c}" for c in watched)
        print(
            f"""
jupyter-sse demo is running (embedded broker, no Redis).

  Dashboard (you):      {base}sse/dashboard?{channels}&token={token}
  Dashboard (viewer):   {link.url}
                        read-only, demo/* and jupyter/system only, valid 8 hours
  Notebook widget:      {base}lab/tree/live_widget.ipynb?token={token}
  Raw stream:           curl -N -H 'Authorization: token {token}' '{base}sse/stream?channel=demo/*'

Publishing a fake training run to demo/train; the server samples this machine on
jupyter/system while someone watches it. Ctrl-C stops.
""",
            flush=True,
        )
        _train(args.duration)
        sse.flush(timeout=10)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(runtime, ignore_errors=True)


def _train(duration: float) -> None:
    import jupyter_sse as sse

    train = sse.channel("demo/train")
    results = train.table("results")
    started = time.monotonic()
    step = 0
    epoch = 0
    train.status("phase", "training", variant="info")
    train.notify("Training started", title="demo", level="info")
    while not duration or time.monotonic() - started < duration:
        epoch += 1
        loss, acc = 2.0, 0.1
        for _batch in train.progress(range(200), label=f"epoch {epoch}", key="epoch"):
            step += 1
            noise = random.gauss(0, 0.03)
            loss = 2.0 * math.exp(-step / 400) + 0.1 + noise
            acc = 1 - 0.9 * math.exp(-step / 500) + noise / 3
            train.metric(step=step, loss=round(loss, 4), acc=round(acc, 4))
            time.sleep(0.02)
            if duration and time.monotonic() - started >= duration:
                break
        results.append({"epoch": epoch, "loss": round(loss, 4), "acc": round(acc, 4)})
        train.log(f"epoch {epoch}: loss {loss:.3f}, acc {acc:.3f}")
        level = "success" if acc > 0.8 else "info"
        train.notify(f"epoch {epoch} done: acc {acc:.1%}", level=level)
        train.status("best acc", f"{acc:.1%}", variant="success" if acc > 0.8 else "default")
    train.status("phase", "finished", variant="success")


def _wait_for_runtime_file(runtime: Path, server: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + 60
    path = runtime / f"jupyter_sse-{server.pid}.json"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            err = server.stderr.read().decode() if server.stderr else ""
            raise SystemExit(f"the Jupyter server exited:\n{err[-2000:]}")
        if path.exists():
            info: dict[str, str] = json.loads(path.read_text())
            try:
                urllib.request.urlopen(info["url"] + "api", timeout=2).close()
                return info
            except OSError:
                pass
        time.sleep(0.1)
    raise SystemExit("the Jupyter server did not start within 60 s")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
