"""(k) Kernel to pixel: from the call in a notebook cell to the frame that draws it.

- A real JupyterLab (this extension and ipywidgets' enabled, isolated config, runtime
  and data dirs, token auth) and Debian's Chromium through Playwright. A notebook of
  two code cells is rewritten and run once per variant: the first displays the output,
  then, once the page watches it, the second calls the variant's update N times at a
  steady rate, sleeping in between (the cell stays busy; each call is
  moved by a fraction of a frame, so that the calls meet the display's frames at every
  phase: see ``offset``), and writes ``time.time()`` of every call to a file.
- The page keeps its own log: a MutationObserver on the output reads the step the
  display shows (our chart's ``data-points``, the width of ``FloatProgress``'s bar,
  tqdm's "i/N" text); a change is stamped with ``performance.timeOrigin +
  performance.now()`` (the same wall clock as the kernel's ``time.time()``, on the
  same machine) once the frame that draws it has been rendered (see ``WATCH_JS``).
- Step i is displayed when the display's count reaches i + 1. A display may jump
  past steps; the rule for every variant is in ``summarise``.

Variants: ``ch.metric`` drawn in the JupyterLab output, and in a run of its own on the
dashboard's channel page in a second browser (the notebook then displays nothing);
ipywidgets ``FloatProgress`` whose value is set in the loop; ``tqdm.notebook`` with its
defaults (it redraws at most every 0.1 s, so most steps at 100 events/s are never
drawn: that is counted, not hidden). Each display is measured alone, as the peers'
are: a second browser drawing the same stream on this 2-core machine took the CPU the
first one needed (at 100 calls/s, the JupyterLab output's p50 24-25 ms with the
dashboard drawing too, 17-19 ms without; call to event at the page 9 ms against 4-5).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servers import free_port  # bench/ is on sys.path (run.py puts it there)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

CHROMIUM = Path(os.environ.get("JUPYTER_SSE_CHROMIUM", "/usr/bin/chromium"))
# The flags every browser test starts Chromium with (the file says why each).
CHROMIUM_ARGS: list[str] = json.loads(
    (Path(__file__).resolve().parents[1] / "scripts" / "chromium-args.json").read_text()
)["args"]
START_TIMEOUT = 120.0  # seconds: a cold JupyterLab start on a busy 2-core machine
UI_TIMEOUT_MS = 90_000
# A 60 Hz display cannot show two steps sent closer together than one frame one after
# the other: a step superseded by one sent less than this after it counts as shown.
FRAME_S = 1 / 60
SETTLE_S = 5.0  # after the last call, how long the display may take to show the end
# The variants, in the order they run, and the displays each is measured in, one run
# each: "lab" (the notebook's output) and "dash" (the dashboard's channel page).
DISPLAYS: dict[str, tuple[str, ...]] = {
    "jupyter-sse": ("lab", "dash"),
    "ipywidgets": ("lab",),
    "tqdm": ("lab",),
}

# --- the page's log ------------------------------------------------------------------------

# Installed before any page script runs. `watch` observes one element; each change of
# the step it shows is stamped [step, time] when the frame that draws it has been
# rendered: a message posted from an animation-frame callback arrives only after that
# frame was drawn, and a loop of its own posts one in every frame. The loop asks one
# frame ahead, so in each frame its callback runs before any the page asked for during
# that frame's tasks: a change a page makes in its own animation-frame callback (ours
# applies a frame's events there) is stamped with the frame that draws it, and a change
# made in any other task (ipywidgets applies each message as it comes) with the next
# one. For where the time goes, the arrival of each step's message at the page is
# recorded too: ours, a `metric` event (a listener on the page's own EventSource, added
# before the page's); the peers', a comm message on the kernel's WebSocket (likewise).
WATCH_JS = r"""
(() => {
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(url, init) {
      super(url, init);
      this.addEventListener("metric", (event) => {
        const step = JSON.parse(event.data).data.step;
        const arrivals = window.__pixel.arrivals;
        if (typeof step === "number" && !(step in arrivals)) {
          arrivals[step] = performance.timeOrigin + performance.now();
        }
      });
    }
  };
  // The peers' updates come over the kernel's WebSocket as comm messages that set a
  // widget's value (FloatProgress's, and the bar inside tqdm's), value i + 1 for step
  // i; the text of each small message is searched for it.
  const NativeSocket = window.WebSocket;
  const decoder = new TextDecoder();
  const valueSet = /"method":\s*"update",\s*"state":\s*\{"value":\s*(\d+)(?:\.0)?\}/;
  window.WebSocket = class extends NativeSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (event) => {
        const now = performance.timeOrigin + performance.now();
        const data = event.data;
        const size = typeof data === "string" ? data.length : data.byteLength;
        if (size === undefined || size > 8192) return;
        const text = typeof data === "string" ? data : decoder.decode(data);
        const m = valueSet.exec(text);
        const arrivals = window.__pixel.arrivals;
        if (m && !(Number(m[1]) - 1 in arrivals)) arrivals[Number(m[1]) - 1] = now;
      });
    }
  };
  const readers = {
    points: (root) => {
      const el = root.querySelector('figure[data-slot="chart"]');
      return el ? Number(el.getAttribute("data-points")) : null;
    },
    bar: (root, n) => {
      const el = root.querySelector(".widget-hprogress .progress-bar");
      if (!el || !el.style.width) return null;
      return Math.round((parseFloat(el.style.width) * n) / 100);
    },
    text: (root, n) => {
      const m = (root.textContent || "").match(new RegExp("(\\d+)/" + n + "(?!\\d)"));
      return m ? Number(m[1]) : null;
    },
  };
  const waiting = [];  // stamps of changes, waiting for their frame to be rendered
  const rendered = new MessageChannel();
  rendered.port1.onmessage = () => {
    const now = performance.timeOrigin + performance.now();
    for (const stamp of waiting.splice(0)) stamp(now);
  };
  const loop = () => {
    rendered.port2.postMessage(0);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  let observer = null;
  window.__pixel = {
    frames: [],
    arrivals: {},
    watch(selector, kind, n) {
      this.arrivals = {};
      if (observer) observer.disconnect();
      const root = document.querySelector(selector);
      if (!root) return false;
      const read = readers[kind];
      const frames = (this.frames = []);
      let seen = read(root, n);
      let pending = null;
      let asked = false;
      const paint = (now) => {
        asked = false;
        if (pending === null) return;
        frames.push([pending, now]);
        pending = null;
      };
      observer = new MutationObserver(() => {
        const v = read(root, n);
        if (v === null || v === seen) return;
        seen = pending = v;
        if (!asked) {
          asked = true;
          waiting.push(paint);
        }
      });
      observer.observe(root, {
        subtree: true, childList: true, attributes: true, characterData: true,
      });
      return true;
    },
    stop() {
      if (observer) observer.disconnect();
      observer = null;
      return { frames: this.frames, arrivals: this.arrivals };
    },
  };
})();
"""

# --- the cell ------------------------------------------------------------------------------

# The display comes from one cell and the loop runs in the next. In a freshly started
# JupyterLab, a widget displayed by a cell that then stayed busy sometimes appeared only
# when that cell ended (measured: 5.9 s into a 6 s cell, once in the first five runs;
# the other runs showed it within 0.3 s). That would measure when the first view
# appears, not the steps; with the display's cell done, every variant is on screen
# before the first step.
DISPLAY = {
    "jupyter-sse": "import jupyter_sse as sse\nch = sse.channel({channel!r})\ndisplay(ch)",
    "ipywidgets": "from ipywidgets import FloatProgress\nbar = FloatProgress(min=0, max={n})\n"
    "display(bar)",
    "tqdm": "from tqdm.notebook import tqdm\npbar = tqdm(total={n})",
}
# The dashboard's run: the same channel, not displayed in the notebook.
DISPLAY_DASH = "import jupyter_sse as sse\nch = sse.channel({channel!r})"
# What people write in the loop, with every default left as it is.
UPDATE = {
    "jupyter-sse": "ch.metric(step=i, value=i)",
    "ipywidgets": "bar.value = i + 1",
    "tqdm": "pbar.update(1)",
}
FINISH = {"jupyter-sse": "sse.flush(30)", "ipywidgets": "", "tqdm": "pbar.close()"}
# Where a call falls within a display frame decides how long it waits for the next one,
# and a run's frames keep one phase against the kernel's clock, which no run chooses.
# A steady 10 calls/s is 6 frames of 60 Hz exactly: every call of a run then falls at
# the same point of its frame (measured: 1,000 calls within 0.2 ms of one phase), and a
# run's p50 and p99 depend on the one phase it drew. At 100 calls/s (0.6 frame) the calls
# walk through five phases, 3.3 ms apart, at an offset the run drew: its p99 is the
# slowest of the five, and moved by up to 3.3 ms from run to run with it (measured: the
# same ipywidgets cell 19.0 and 16.8 ms p99 in two runs an hour apart, its event to frame
# 17.1 and 15.8). So each call is moved later by a fraction of a frame, the same for every
# variant, the rate unchanged on average. At 2 frames or more per call, the fraction
# comes from a sequence that covers the frame evenly (multiples of the golden ratio, mod
# 1); faster, it grows with the call's index, i / n (a move larger than the gap between
# calls would reorder them): the run's phases sweep the frame once.
GOLDEN = 0.6180339887498949


def offset(rate: int) -> str:
    """The cell's expression for call ``i``'s move, in seconds, at ``rate`` calls/s."""
    if 1 / rate >= 2 * FRAME_S:
        return f"(i * {GOLDEN} % 1) * {FRAME_S}"
    return f"i / n * {FRAME_S}"


LOOP = """\
import json, time
sent = []
n = {n}
t0 = time.perf_counter()
for i in range(n):
    delay = t0 + i / {rate} + {offset} - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    sent.append(time.time())
    {update}
{finish}
with open({out!r}, "w") as f:
    json.dump(sent, f)
"""
READER = {"jupyter-sse": "points", "ipywidgets": "bar", "tqdm": "text"}

# The first cell's output (the cells are marked by RUN_CELL_JS).
OUTPUT = "[data-pixel-cell='0'] .jp-OutputArea"
RUN_CELL_JS = """([index, code]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cell = panel.content.widgets[index];
  cell.node.dataset.pixelCell = String(index);
  // Cleared now, not when the run starts: the last run's output must not be watched.
  cell.model.outputs.clear();
  cell.model.sharedModel.setSource(code);
  panel.content.activeCellIndex = index;
  void window.jupyterapp.commands.execute("notebook:run-cell");
}"""
KERNEL_IDLE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return kernel != null && kernel.status === "idle";
}"""


def cells(variant: str, where: str, rate: int, n: int, channel: str, out: Path) -> tuple[str, str]:
    """The display cell and the loop cell of one run (``where``: "lab" or "dash")."""
    loop = LOOP.format(
        update=UPDATE[variant],
        finish=FINISH[variant],
        out=str(out),
        n=n,
        rate=rate,
        offset=offset(rate),
    )
    display = DISPLAY_DASH if where == "dash" else DISPLAY[variant]
    return display.format(channel=channel, n=n), loop


# --- what a run shows ----------------------------------------------------------------------


def summarise(
    sent: list[float], frames: list[list[float]], arrivals: dict[str, float] | None = None
) -> dict[str, Any]:
    """Latency of each displayed step, and how many steps were displayed.

    ``sent``: epoch seconds of each call; ``frames``: [count shown, epoch ms of the
    frame] in order. Step i is reached in the first frame whose count is i + 1 or more.
    It counts as shown if that frame shows it (count i + 1), or shows a step sent less
    than one 60 Hz frame after it (a display cannot show both one after the other);
    a step the display jumped past otherwise was never shown (tqdm skips steps until
    0.1 s have passed since it last redrew). Latency is the frame's time minus the
    call's, for shown steps only; "lag" is the same for every step reached, shown or
    not: how far behind the loop the display was.

    ``arrivals`` (epoch ms by step, where the page saw each step's message) splits
    the latency of the shown steps in two: "wire" (call to message at the page: the
    kernel's side, the server, the connection) and "page" (message to frame).
    """
    n = len(sent)
    latencies: list[float] = []
    lags: list[float] = []
    wire: list[float] = []
    on_page: list[float] = []
    f = 0
    for i in range(n):
        while f < len(frames) and frames[f][0] < i + 1:
            f += 1
        if f == len(frames):
            break  # never reached: neither shown nor a lag
        count, at_ms = int(frames[f][0]), frames[f][1]
        delay = at_ms - 1000 * sent[i]
        lags.append(delay)
        if count == i + 1 or sent[min(count, n) - 1] - sent[i] < FRAME_S:
            latencies.append(delay)
            if arrivals and (arrived := arrivals.get(str(i))) is not None:
                wire.append(arrived - 1000 * sent[i])
                on_page.append(at_ms - arrived)
    split = {}
    if wire:
        split = {
            "wire_p50_ms": percentile(wire, 0.50),
            "wire_p99_ms": percentile(wire, 0.99),
            "page_p50_ms": percentile(on_page, 0.50),
            "page_p99_ms": percentile(on_page, 0.99),
        }
    return {
        "events": n,
        "shown": len(latencies),
        "reached": len(lags),
        "frames": len(frames),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "lag_p50_ms": percentile(lags, 0.50),
        "lag_p99_ms": percentile(lags, 0.99),
        **split,
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- JupyterLab ----------------------------------------------------------------------------


@dataclass
class Lab:
    """`python -m jupyterlab` with its own dirs and token, on a free port."""

    home: Path
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def root(self) -> Path:
        return self.home / "notebooks"

    def stop(self) -> None:
        if self.proc.poll() is None:
            # On SIGTERM jupyter_server shuts its kernels down before it exits.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _write_config(home: Path) -> dict[str, str]:
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for path in [*dirs.values(), home / "notebooks"]:
        path.mkdir(parents=True, exist_ok=True)
    config = dirs["JUPYTER_CONFIG_DIR"]
    server = {
        "ServerApp": {"jpserver_extensions": {"jupyter_sse": True}},
        # Nothing may leave 127.0.0.1: no update check, no extension manager.
        "LabApp": {
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
            "extension_manager": "readonly",
        },
    }
    (config / "jupyter_server_config.json").write_text(json.dumps(server))
    (config / "labconfig").mkdir(exist_ok=True)
    page = {
        # The bench drives the notebook through `window.jupyterapp`, not menus.
        "exposeAppInBrowser": True,
        "disabledExtensions": {
            "@jupyterlab/extensionmanager-extension": True,
            "@jupyterlab/apputils-extension:announcements": True,
        },
    }
    (config / "labconfig" / "page_config.json").write_text(json.dumps(page))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_SSE_")}
    env.update({name: str(path) for name, path in dirs.items()})
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def start_lab(home: Path) -> Lab:
    env = _write_config(home)
    port, token = free_port(), secrets.token_hex(16)
    log = home / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",  # CI containers run as root; the server is on 127.0.0.1
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={home / 'notebooks'}",
            ],
            env=env,
            # Not the caller's directory: `-m` puts it first on sys.path, and a source
            # checkout there (without its built front end) would shadow the installed one.
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = Lab(home, port, token, proc, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        request = urllib.request.Request(
            lab.url + "sse/health", headers={"Authorization": f"token {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return lab
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not start; log tail:\n{log.read_text()[-3000:]}")


def write_notebook(path: Path) -> None:
    cell: dict[str, object] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
    }
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [{**cell, "source": ""}, {**cell, "source": ""}],
    }
    path.write_text(json.dumps(notebook))


# --- one run -------------------------------------------------------------------------------


def _wait_file(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cell did not finish within {seconds:.0f} s ({path.name})")
        time.sleep(0.1)


def _wait_count(page: Page, n: int, seconds: float) -> None:
    """Until the page's last frame shows step n, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last = page.evaluate(
            "() => { const f = window.__pixel.frames; return f.length ? f[f.length - 1][0] : -1; }"
        )
        if last >= n:
            return
        time.sleep(0.1)


def run_variant(
    lab: Lab,
    page: Page,
    dash_context: BrowserContext,
    variant: str,
    where: str,
    rate: int,
    n: int,
    work: Path,
) -> dict[str, Any]:
    """One run of the cell, watched in one display: "lab" (the notebook's output) or,
    for ours, "dash" (the dashboard's channel page, in its own browser)."""
    out = work / f"{variant}-{where}-{rate}-{time.monotonic_ns()}.json"
    channel = f"pixel/{rate}-{time.monotonic_ns()}"
    display, loop = cells(variant, where, rate, n, channel, out)
    page.evaluate(RUN_CELL_JS, [0, display])
    watched = page
    dash: Page | None = None
    try:
        if where == "dash":
            dash = watched = dash_context.new_page()
            dash.set_default_timeout(UI_TIMEOUT_MS)
            answer = dash.goto(f"{lab.url}sse/dashboard/channel/{channel}?token={lab.token}")
            if answer is None or answer.status != 200:
                why = answer.text()[:300] if answer else "no answer"
                raise RuntimeError(f"the dashboard page did not load: {why}")
            dash.wait_for_selector("[data-slot=channel-card][data-loaded=true]", state="attached")
            if not dash.evaluate("() => window.__pixel.watch('body', 'points', 0)"):
                raise RuntimeError("the dashboard page has no body to watch")
        elif variant == "jupyter-sse":
            page.wait_for_selector(f"{OUTPUT} [data-slot=channel-card][data-loaded=true]")
        elif variant == "ipywidgets":
            page.wait_for_selector(f"{OUTPUT} .widget-hprogress .progress-bar", state="attached")
        else:
            page.wait_for_selector(f"{OUTPUT} .widget-hprogress", state="attached")
            page.wait_for_function(
                "([sel, n]) => (document.querySelector(sel)?.textContent || '').includes('0/' + n)",
                arg=[OUTPUT, n],
            )
        page.wait_for_function(KERNEL_IDLE_JS)
        if where == "lab" and not page.evaluate(
            "([sel, kind, n]) => window.__pixel.watch(sel, kind, n)", [OUTPUT, READER[variant], n]
        ):
            raise RuntimeError(f"no output to watch for {variant}")
        if watched.evaluate("() => document.visibilityState") != "visible":
            raise RuntimeError(f"{watched.url} is hidden: its animation frames would not run")
        page.evaluate(RUN_CELL_JS, [1, loop])
        _wait_file(out, n / rate + 120)
        _wait_count(watched, n, SETTLE_S)
        sent: list[float] = json.loads(out.read_text())
        return {**summarise(sent, **watched.evaluate("() => window.__pixel.stop()")), "rate": rate}
    finally:
        if dash is not None:
            dash.close()


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def new_context(browser: Browser) -> BrowserContext:
    """A context that reaches only this machine, with the page's log installed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else route.abort()
        ),
    )
    context.add_init_script(WATCH_JS)
    return context


def measure(tmp: Path, rates: tuple[int, ...], events: dict[int, int]) -> dict[str, Any]:
    """Every variant at every rate in one JupyterLab and one Chromium.

    Returns ``{"jupyter-sse": {"lab": {rate: r}, "dash": {rate: r}}, "ipywidgets":
    {"lab": ...}, "tqdm": {"lab": ...}}``. Runs in a thread of its own (Playwright's sync
    API), on every core: this figure models a person's machine, not a pinned server.
    """
    from playwright.sync_api import sync_playwright

    # Threads and their children inherit this thread's affinity (the load-generator core).
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    home = tmp / "pixel"
    work = home / "notebooks"
    lab = start_lab(home)
    results: dict[str, Any] = {v: {} for v in DISPLAYS}
    try:
        write_notebook(lab.root / "pixel.ipynb")
        with sync_playwright() as playwright:
            # The dashboard in a browser of its own, as on a second screen or machine: two
            # pages of one headless Chromium share its software compositor, and the
            # JupyterLab page then got no frame for a second at a time (measured).
            browser, dash_browser = launch(playwright), launch(playwright)
            try:
                context = new_context(browser)
                dash_context = new_context(dash_browser)
                page = context.new_page()
                page.set_default_timeout(UI_TIMEOUT_MS)
                page.goto(f"{lab.url}lab/tree/pixel.ipynb?token={lab.token}")
                page.wait_for_selector(".jp-Notebook .jp-CodeCell")
                page.wait_for_function(KERNEL_IDLE_JS)
                for rate in rates:
                    for variant, displays in DISPLAYS.items():
                        for where in displays:
                            results[variant].setdefault(where, {})[rate] = run_variant(
                                lab, page, dash_context, variant, where, rate, events[rate], work
                            )
            finally:
                browser.close()
                dash_browser.close()
    finally:
        lab.stop()
    return results
