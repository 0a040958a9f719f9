"""Run every benchmark against jupyter-sse and its peers, and print one table.

    python bench/run.py                 # everything (about 24 minutes, 8 of them kernel to pixel)
    python bench/run.py --quick         # small N, under 2 minutes
    python bench/run.py --only jupyter-sse --quick --json out.json
    python bench/run.py --profile prof/ # py-spy profiles of jupyter-sse, summarised

The servers run on one core and the load generator (this process) on the other, so
neither steals the other's CPU. Nothing is installed here: bench/setup.sh does that.
See bench/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import pixel_figure  # noqa: E402
import servers  # noqa: E402
import system_figure  # noqa: E402
from loadgen import Target  # noqa: E402

SERVERS = ["jupyter-sse", "tornado", "sse-starlette", "nchan"]
HEARTBEAT = 5  # seconds between heartbeats, on every server that has them

# Every server under test sends heartbeats (sse-starlette its own default), as servers
# behind proxies must; room for the many-stream figure's streams.
STARTERS: dict[str, Callable[[Path, int], servers.Server]] = {
    "jupyter-sse": lambda tmp, core: servers.start_jupyter_sse(
        tmp,
        core,
        sse={
            "heartbeat_interval": HEARTBEAT,
            "max_connections": 101_000,
            "max_connections_per_user": 101_000,
            "max_streams_per_link": 101_000,
        },
    ),
    "tornado": lambda tmp, core: servers.start_tornado_peer(tmp, core, heartbeat=HEARTBEAT),
    "sse-starlette": servers.start_starlette_peer,
    "nchan": lambda tmp, core: servers.start_nchan(tmp, core, heartbeat=HEARTBEAT),
}
# Figures measured on each server in turn; "kernel", "redis", "system" and "pixel" are
# jupyter-sse's, "ceiling" the load generator's own.
SERVER_FIGURES = frozenset({"fanout", "latency", "single", "resume", "memory", "streams"})
FIGURES = SERVER_FIGURES | {"kernel", "redis", "system", "ceiling", "pixel"}
SOURCES = [f"127.0.0.{i}" for i in range(1, 9)]  # source addresses for many streams
# Source addresses for the 100,000-stream figure: ~28,000 ephemeral ports each.
MANY_SOURCES = [f"127.0.0.{i}" for i in range(1, 17)]
# The servers that can hold that many streams at all (sse-starlette: ~40 KB each).
MANY_SERVERS = frozenset({"jupyter-sse", "tornado", "nchan"})
DRAIN_IDLE = 5.0  # seconds without a delivery after which a drain gives up
LOAD_BOUND = 0.9  # share of its core above which a figure may be the load generator's


@dataclass
class Plan:
    """The sizes of one run: the full run, or the quick one."""

    quick: bool
    fanout_n: tuple[int, ...]
    fanout_seconds: float
    fanout_max_events: int
    latency_n: int
    latency_rates: tuple[int, ...]
    latency_seconds: float
    memory_n: int
    resume_events: int
    resume_repeats: int
    kernel_events: int
    progress_iterations: int
    system_kernels: int = 20
    system_seconds: float = 60.0
    single_n: int = 1000  # streams of the one-event-per-request figures
    single_seconds: float = 6.0
    ceiling_seconds: float = 3.0
    many_n: int = 100_000
    many_hold: float = 3 * HEARTBEAT  # seconds held idle (heartbeats on) before measuring
    many_events: int = 10  # broadcast at 1 event/s
    transport_events: int = 100_000  # burst from one kernel, per transport
    transport_rate: int = 1000  # events/s of the paced latency run from the kernel
    transport_seconds: float = 5.0
    # Kernel to pixel: calls per variant at each rate (calls/s).
    pixel_events: dict[int, int] = field(default_factory=lambda: {10: 1000, 100: 1000})

    @staticmethod
    def make(quick: bool) -> Plan:
        if quick:
            return Plan(
                True,
                (100, 1000),
                1.5,
                20_000,
                200,
                (100, 1000),
                1.5,
                1000,
                2000,
                1,
                20_000,
                200_000,
                system_kernels=2,
                system_seconds=3.0,
                single_n=200,
                single_seconds=1.0,
                ceiling_seconds=0.5,
                many_n=500,
                many_hold=0.5,
                many_events=2,
                transport_events=5000,
                transport_seconds=1.0,
                pixel_events={10: 10, 100: 50},
            )
        return Plan(
            False,
            (100, 1000, 10_000),
            6.0,
            1_000_000,
            1000,
            (100, 1000),
            6.0,
            10_000,
            10_000,
            3,
            100_000,
            2_000_000,
        )


@dataclass
class Row:
    key: str
    figure: str
    values: dict[str, str] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    ratio: str = ""
    target: str = ""
    status: str = ""  # "met", "MISSED", or "" for a figure without a target
    note: str = ""


# --- measurements ------------------------------------------------------------------------


class RssSampler:
    """The server's peak RSS while a figure runs, sampled every 0.2 s."""

    def __init__(self, server: servers.Server) -> None:
        self.server = server
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        for _ in range(100_000):  # bounded: a figure never runs for 5 hours
            self.peak = max(self.peak, self.server.rss())
            await asyncio.sleep(0.2)

    def __enter__(self) -> RssSampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, self.server.rss())


async def wait_delivered(
    readers: list[loadgen.Reader], want: int, *, idle: float = DRAIN_IDLE, limit: float = 120.0
) -> float:
    """Wait until ``readers`` hold ``want`` events in all, or nothing arrived for ``idle``
    seconds, or ``limit`` seconds passed. Returns the time of the last delivery seen."""
    end = time.perf_counter() + limit
    last_count, last_change = loadgen.delivered(readers), time.perf_counter()
    while time.perf_counter() < end:
        count = loadgen.delivered(readers)
        now = time.perf_counter()
        if count != last_count:
            last_count, last_change = count, now
        if count >= want or now - last_change > idle:
            break
        await asyncio.sleep(0.002)
    return last_change


async def warm_up(target: Target, channel: str, readers: list[loadgen.Reader]) -> None:
    """One event to every reader, so every subscription is known to be live."""
    pub = loadgen.Publisher(target, channel)
    await pub.connect()
    try:
        await pub.publish(1)
        await wait_delivered(readers, len(readers), limit=60)
    finally:
        await pub.close()
    got = loadgen.delivered(readers)
    if got != len(readers):
        raise RuntimeError(f"{target.name}: warm-up event reached {got} of {len(readers)} streams")
    for reader in readers:
        reader.count = reader.stamped = 0
        reader.latencies.clear()
        reader.read_latencies.clear()


def sources_for(n: int) -> list[str]:
    return SOURCES if n > 2000 else ["127.0.0.1"]


async def fanout(
    server: servers.Server,
    n: int,
    plan: Plan,
    *,
    readers: list[loadgen.Reader] | None = None,
    channel: str | None = None,
    per_request: bool = False,
) -> dict[str, Any]:
    """(a) Deliveries/s with ``n`` streams on one channel, publishing as fast as the
    streams drain: at most ``window`` events may be in flight (published, not yet
    delivered on average), so no server is pushed into cutting slow clients.
    ``per_request``: one event per POST, each answer awaited before the next."""
    target = server.target
    channel = channel or f"fanout-{n}-{time.monotonic_ns()}"
    own = readers is None
    if readers is None:
        readers = await loadgen.open_readers(target, channel, n, sources=sources_for(n))
    try:
        await warm_up(target, channel, readers)
        window = 1000 if n <= 1000 else 200
        batch = 100 if n <= 1000 else 50
        pub = loadgen.Publisher(target, channel)
        await pub.connect()
        with RssSampler(server) as rss:
            cpu0 = server.cpu()
            t0 = time.perf_counter()
            end = t0 + plan.fanout_seconds
            while time.perf_counter() < end and pub.sent < plan.fanout_max_events:
                if pub.sent - loadgen.delivered(readers) / n >= window:
                    await asyncio.sleep(0.0005)
                    continue
                if per_request:
                    await pub.publish_one()
                else:
                    await pub.publish(batch)
            last = await wait_delivered(readers, pub.sent * n)
            cpu = server.cpu() - cpu0
        await pub.close()
        got = loadgen.delivered(readers)
        return {
            "server_cpu_us_per_delivery": 1e6 * cpu / max(got, 1),
            "server_cpu_share": cpu / (last - t0),
            "connections": n,
            "events": pub.sent,
            "deliveries": got,
            "lost": pub.sent * n - got,
            "seconds": last - t0,
            "per_second": got / (last - t0),
            "rss_peak": rss.peak,
        }
    finally:
        if own:
            loadgen.close_readers(readers)


async def latency(
    servers_: list[servers.Server],
    n: int,
    rate: int,
    plan: Plan,
    *,
    channel: str | None = None,
    per_request: bool = False,
    seconds: float | None = None,
) -> dict[str, Any]:
    """(b)/(c) Latency at a steady ``rate`` events/s with ``n`` streams (split over
    ``servers_``; events are published to the first). The events due in each 10 ms tick
    go in one request, as the kernel publisher batches them with its 10 ms linger; each
    event is stamped with the moment its request is sent. ``per_request``: each event
    in a request of its own, back to back, each answer awaited before the next, from a
    thread of the load generator (``loadgen.BlockingPublisher``)."""
    run_seconds = plan.latency_seconds if seconds is None else seconds
    channel = channel or f"latency-{rate}-{time.monotonic_ns()}"
    per = n // len(servers_)
    sample_every = max(1, n // 50)
    readers: list[loadgen.Reader] = []
    try:
        for server in servers_:
            readers += await loadgen.open_readers(
                server.target,
                channel,
                per,
                sample_every=sample_every,
                sources=sources_for(n),
            )
        await warm_up(servers_[0].target, channel, readers)
        pub = loadgen.Publisher(servers_[0].target, channel)
        await pub.connect()
        with RssSampler(servers_[0]) as rss:
            cpu0 = sum(s.cpu() for s in servers_)
            own0 = time.process_time()
            t0 = time.perf_counter()
            overloaded = False
            if per_request:
                blocking = loadgen.BlockingPublisher(servers_[0].target, channel)
                try:
                    overloaded = await blocking.run_steady(
                        rate,
                        run_seconds,
                        behind=lambda: (
                            blocking.sent - loadgen.delivered(readers) / len(readers) > 2 * rate
                        ),
                    )
                finally:
                    blocking.close()
                pub.sent = blocking.sent
            else:
                steady = loadgen.Steady(rate, run_seconds)
                for i in steady.ticks():
                    if steady.over():
                        break
                    if pub.sent - loadgen.delivered(readers) / len(readers) > 2 * rate:
                        # Two seconds of events behind: the server cannot keep this rate, and
                        # publishing on would only make the drain below take minutes.
                        overloaded = True
                        break
                    if (due := steady.due(pub.sent)) > 0:
                        await pub.publish(due)
                    if (delay := steady.until_next(i)) > 0:
                        await asyncio.sleep(delay)
            sent_seconds = time.perf_counter() - t0
            await wait_delivered(readers, pub.sent * len(readers), limit=60.0)
            cpu = sum(s.cpu() for s in servers_) - cpu0
            own = time.process_time() - own0
            wall = time.perf_counter() - t0
        await pub.close()
        lat = [x for r in readers for x in r.latencies]
        read = [x for r in readers for x in r.read_latencies]
        got = loadgen.delivered(readers)
        return {
            "connections": len(readers),
            "rate": rate,
            "achieved_rate": pub.sent / sent_seconds,
            "overloaded": overloaded,
            "events": pub.sent,
            "lost": pub.sent * len(readers) - got,
            "samples": len(lat),
            "stamped": sum(r.stamped for r in readers),
            "server_cpu_share": cpu / wall,
            "load_cpu_share": own / wall,
            "p50_ms": 1000 * loadgen.percentile(lat, 0.50),
            "p99_ms": 1000 * loadgen.percentile(lat, 0.99),
            "max_ms": 1000 * max(lat) if lat else float("nan"),
            "read_p99_ms": 1000 * loadgen.percentile(read, 0.99),
            "rss_peak": rss.peak,
        }
    finally:
        loadgen.close_readers(readers)


async def memory(
    server: servers.Server, n: int
) -> tuple[dict[str, Any], list[loadgen.Reader], str]:
    """(e) Server memory per idle stream: RSS after opening ``n`` streams minus before,
    over ``n``. The streams stay open for the 10,000-stream fan-out that follows."""
    target = server.target
    channel = f"memory-{n}-{time.monotonic_ns()}"
    # A few streams opened and closed first, so one-time costs (imports, caches, the
    # first request's allocations) are not counted as per-stream memory.
    warm = await loadgen.open_readers(target, channel + "-warm", 50)
    await warm_up(target, channel + "-warm", warm)
    loadgen.close_readers(warm)
    await asyncio.sleep(1.0)
    before = server.rss()
    t0 = time.perf_counter()
    readers = await loadgen.open_readers(target, channel, n, sources=sources_for(n))
    opened = time.perf_counter() - t0
    await asyncio.sleep(1.0)
    after = server.rss()
    held = sum(1 for r in readers if r.status == 200 and not r.closed.done())
    return (
        {
            "connections": n,
            "held": held,
            "rss_before": before,
            "rss_after": after,
            "per_connection": (after - before) / n,
            "open_seconds": opened,
        },
        readers,
        channel,
    )


async def resume(server: servers.Server, missed: int, repeats: int) -> dict[str, Any]:
    """(f) A stream reconnects with Last-Event-ID after ``missed`` events: the time from
    the reconnect until the last missed event is parsed (median of ``repeats``)."""
    target = server.target
    times: list[float] = []
    lost = 0
    for _ in range(repeats):
        channel = f"resume-{time.monotonic_ns()}"
        first = await loadgen.open_reader(target, channel, track_id=True)
        pub = loadgen.Publisher(target, channel)
        await pub.connect()
        await pub.publish(1)
        await wait_delivered([first], 1, limit=30)
        last_id = first.last_id
        loadgen.close_readers([first])
        if last_id is None:
            raise RuntimeError(f"{target.name}: no id on the first event")
        step = 500 if target.batch_publish else 100
        for _ in range(0, missed, step):
            await pub.publish(min(step, missed - (pub.sent - 1)))
        await pub.close()
        t0 = time.perf_counter()
        again = await loadgen.open_reader(
            target, channel, headers={"Last-Event-ID": last_id.decode()}, want=missed
        )
        try:
            assert again.reached is not None
            done = await asyncio.wait_for(again.reached, 60)
            times.append(done - t0)
            await asyncio.sleep(0.05)
            lost += missed - again.count
        except asyncio.TimeoutError:
            lost += missed - again.count
            times.append(float("inf"))
        finally:
            loadgen.close_readers([again])
    return {
        "missed": missed,
        "ms": 1000 * statistics.median(times),
        "all_ms": [1000 * t for t in times],
        "lost": lost,
    }


async def ceiling(
    tmp: Path, core: int, n: int, seconds: float, events_per_write: int = 1000
) -> dict[str, Any]:
    """(g) The load generator's own ceiling: deliveries/s it parses from ``n`` streams of
    a source that is never the limit (``peers/blaster.py``), read exactly as the
    servers are (counting every event, 50 readers parsing stamps). With
    ``events_per_write`` 1 every event is a read of its own, as from a server that sends
    each event on its own: the ceiling in reads/s. ``load_cpu_share`` and
    ``source_cpu_share`` say which side was the limit."""
    source = servers.start_blaster(tmp, core, n, events_per_write)
    try:
        readers = await loadgen.open_readers(
            source.target, "ceiling", n, sample_every=max(1, n // 50)
        )
        try:
            await asyncio.sleep(min(1.0, seconds))  # past the first, fuller buffers
            count0, t0 = loadgen.delivered(readers), time.perf_counter()
            own0, source0 = time.process_time(), source.cpu()
            await asyncio.sleep(seconds)
            count1, t1 = loadgen.delivered(readers), time.perf_counter()
            own1, source1 = time.process_time(), source.cpu()
        finally:
            loadgen.close_readers(readers)
    finally:
        source.stop()
    wall = t1 - t0
    return {
        "connections": n,
        "events_per_write": events_per_write,
        "seconds": wall,
        "per_second": (count1 - count0) / wall,
        "load_cpu_share": (own1 - own0) / wall,
        "source_cpu_share": (source1 - source0) / wall,
    }


def viewer_link(server: servers.Server, pattern: str) -> str:
    """A viewer token of jupyter-sse for ``pattern`` (``POST sse/tokens``)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.target.port, timeout=30)
    try:
        body = json.dumps({"channels": [pattern], "ttl": 3600})
        conn.request("POST", "/sse/tokens", body=body, headers=server.target.headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"minting a viewer link answered {response.status}: {answer}")
        token: str = answer["token"]
        return token
    finally:
        conn.close()


def many_possible(wanted: int) -> tuple[int, str]:
    """How many streams every server of the figure may hold on this machine (one count
    for all, so that their rows compare), and why not more."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # A thousand descriptors left for the process's own files.
    room = wanted if hard == resource.RLIM_INFINITY else hard - 1000
    nchan = servers.nchan_holds(servers.nchan_connections())
    if room >= wanted and nchan > wanted:
        return wanted, ""
    n = max(0, min(room, nchan - 1) // 1000 * 1000)  # rounded down to a thousand
    files = f"the hard open-files limit here is {hard:,} per process (one descriptor per stream)"
    held = (
        f"nchan holds {nchan:,} idle streams with as many connections (nginx closes idle "
        "ones once fewer than 1/16 are free)"
    )
    why = held if room >= wanted else f"{files}, and {held}"
    return n, f"{why}: every server at {n:,}"


async def many_streams(server: servers.Server, n: int, plan: Plan) -> dict[str, Any]:
    """(i) ``n`` streams on one server process: held idle with heartbeats on for
    ``plan.many_hold`` s (memory: RSS after minus before, per stream), then a broadcast
    of one event per second, each POSTed on its own, to every one of them. On
    jupyter-sse the streams open a viewer link, as a crowd given a dashboard link
    does (one person in presence, however many streams)."""
    channel = f"many-{time.monotonic_ns()}"
    target = server.target
    if server.name == "jupyter-sse":
        link = viewer_link(server, f"{channel}*")
        target = dataclasses.replace(
            target, stream_path=f"{target.stream_path}&token={link}", headers={}
        )
    warm = await loadgen.open_readers(target, channel + "-warm", 50)
    await warm_up(server.target, channel + "-warm", warm)
    loadgen.close_readers(warm)
    await asyncio.sleep(1.0)
    before = server.rss()
    t0 = time.perf_counter()
    readers = await loadgen.open_readers(
        target,
        channel,
        n,
        sample_every=max(1, n // 2000),
        sources=MANY_SOURCES if n > 2000 else ["127.0.0.1"],
        # As many connecting at once as the other figures: more overflow the listen
        # backlog of a server that accepts slower (jupyter_server's is tornado's 128).
        concurrency=200,
        deadline=900.0,
    )
    try:
        opened = time.perf_counter() - t0
        await asyncio.sleep(plan.many_hold)
        after = server.rss()
        held = sum(1 for r in readers if not r.closed.done())
        await warm_up(server.target, channel, readers)
        pub = loadgen.Publisher(server.target, channel)
        await pub.connect()
        start = time.perf_counter()
        for i in range(plan.many_events):
            delay = start + i - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await pub.publish_one()
        await wait_delivered(readers, pub.sent * n, limit=60.0)
        await pub.close()
        got = loadgen.delivered(readers)
        lat = [x for r in readers for x in r.latencies]
        return {
            "connections": n,
            "held": held,
            "open_seconds": opened,
            "rss_before": before,
            "rss_after": after,
            "per_connection": (after - before) / n,
            "events": pub.sent,
            "lost": pub.sent * n - got,
            "samples": len(lat),
            "p50_ms": 1000 * loadgen.percentile(lat, 0.50),
            "p99_ms": 1000 * loadgen.percentile(lat, 0.99),
            "max_ms": 1000 * max(lat) if lat else float("nan"),
        }
    finally:
        loadgen.close_readers(readers)


# --- the kernel figure ---------------------------------------------------------------------

KERNEL_CODE = r"""
import io, json, time
import jupyter_sse as sse
try:
    from tqdm import tqdm
    from tqdm.auto import tqdm as auto_tqdm
    from jupyter_sse import tqdm as sse_tqdm
except ImportError:
    tqdm = None
ch = sse.channel("bench-kernel")
bars = sse.channel("bench-kernel-progress")
N, M = {n}, {m}
ch.metric(step=-1, loss=0.0)
sse.flush(30)
t0 = time.perf_counter()
for i in range(N):
    ch.metric(step=i, loss=0.5)
t1 = time.perf_counter()
sse.flush(300)
t2 = time.perf_counter()
stats = sse.stats()

def bare():
    t = time.perf_counter()
    for _ in range(M):
        pass
    return time.perf_counter() - t

def ours():
    t = time.perf_counter()
    for _ in bars.progress(range(M), label="bench"):
        pass
    return time.perf_counter() - t

def theirs():
    t = time.perf_counter()
    for _ in tqdm(range(M), disable=False, file=io.StringIO()):
        pass
    return time.perf_counter() - t

def auto():
    t = time.perf_counter()
    for _ in auto_tqdm(range(M), disable=False, file=io.StringIO()):
        pass
    return time.perf_counter() - t

def drop_in():
    t = time.perf_counter()
    for _ in sse_tqdm(range(M), disable=False, file=io.StringIO(), desc="bench", channel=bars):
        pass
    return time.perf_counter() - t

b = min(bare() for _ in range(5))
o = min(ours() for _ in range(5))
q = min(theirs() for _ in range(5)) if tqdm is not None else None
a = min(auto() for _ in range(5)) if tqdm is not None else None
d = min(drop_in() for _ in range(5)) if tqdm is not None else None
sse.flush(30)
print("BENCH-RESULT " + json.dumps({{
    "events": N, "loop_seconds": t1 - t0, "delivered_seconds": t2 - t0,
    "dropped": stats["dropped"], "failed": stats["failed"],
    "iterations": M, "bare_s": b, "ours_s": o, "tqdm_s": q, "auto_s": a, "drop_in_s": d,
}}))
"""


def run_in_kernel(code: str, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """Run ``code`` in a real ipykernel started with ``env``; the dict it printed after
    ``BENCH-RESULT``."""
    from jupyter_client.manager import KernelManager

    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp / "kernel-runtime"),
        "IPYTHONDIR": str(tmp / "kernel-ipython"),
        **env,
    }
    km = KernelManager(kernel_name="python3")
    # The kernel inherits this process's core (the load generator's), not the server's.
    km.start_kernel(env=env, extra_arguments=["--HistoryManager.enabled=False"])
    kc = km.client()
    kc.start_channels()
    out: list[str] = []
    try:
        kc.wait_for_ready(timeout=60)

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = kc.execute_interactive(code, output_hook=hook, timeout=600)
        if reply["content"]["status"] != "ok":
            raise RuntimeError("kernel bench failed:\n" + "".join(out))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    text = "".join(out)
    line = next((ln for ln in text.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if line is None:
        raise RuntimeError("kernel bench printed no result:\n" + text)
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
    return result


def kernel_figure(server: servers.Server, plan: Plan, tmp: Path) -> dict[str, Any]:
    """(d) ``ch.metric`` in a loop in a real ipykernel whose publisher sends to the
    server; then ``progress`` against tqdm over the same empty loop."""
    env = {
        "JUPYTER_SSE_URL": f"http://127.0.0.1:{server.target.port}/",
        "JUPYTER_SSE_TOKEN": servers.TOKEN,
    }
    code = KERNEL_CODE.format(n=plan.kernel_events, m=plan.progress_iterations)
    result = run_in_kernel(code, env, tmp)
    result["stored"] = _stored_events(server, "bench-kernel") - 1  # minus the warm-up
    return result


TRANSPORT_CODE = r"""
import json, time
import jupyter_sse as sse
paced = sse.channel({channel!r})
burst = sse.channel({channel!r} + "-burst")
RATE, SECONDS, N = {rate}, {seconds}, {n}
paced.metric(step=-1, t=time.time())
burst.metric(step=-1, x=0.0)
sse.flush(30)
t0 = time.perf_counter()
for i in range(int(RATE * SECONDS)):
    due = t0 + i / RATE
    while (left := due - time.perf_counter()) > 0:
        time.sleep(min(left, 0.0005))
    paced.metric(step=i, t=time.time())
sse.flush(60)
t1 = time.perf_counter()
for i in range(N):
    burst.metric(step=i, x=0.5)
sse.flush(300)
t2 = time.perf_counter()
stats = sse.stats()
print("BENCH-RESULT " + json.dumps({{
    "paced": int(RATE * SECONDS), "events": N, "delivered_seconds": t2 - t1,
    "dropped": stats["dropped"], "failed": stats["failed"],
}}))
"""


async def transport_figure(
    server: servers.Server, redis_url: str, via: str, plan: Plan, tmp: Path
) -> dict[str, Any]:
    """(j) A kernel publishing into a Redis-backed server: through the server (``via``
    "server": its publish socket, the server runs the Redis script) or straight into Redis ("redis":
    the direct transport, as a script would use it). Events/s delivered from a burst of
    ``ch.metric`` calls, and latency from the call to the event parsed off a stream,
    at a steady ``plan.transport_rate``."""
    channel = f"transport-{via}-{time.monotonic_ns()}"
    readers = await loadgen.open_readers(server.target, channel, 1, sample_every=1)
    try:
        env = (
            {
                "JUPYTER_SSE_URL": f"http://127.0.0.1:{server.target.port}/",
                "JUPYTER_SSE_TOKEN": servers.TOKEN,
            }
            if via == "server"
            else {"JUPYTER_SSE_REDIS_URL": redis_url}
        )
        code = TRANSPORT_CODE.format(
            channel=channel,
            rate=plan.transport_rate,
            seconds=plan.transport_seconds,
            n=plan.transport_events,
        )
        result = await asyncio.to_thread(run_in_kernel, code, env, tmp)
        want = result["paced"] + 1
        await wait_delivered(readers, want, limit=30.0)
        got = loadgen.delivered(readers)
    finally:
        loadgen.close_readers(readers)
    lat = [x for r in readers for x in r.latencies][1:]  # minus the warm-up
    stored = _stored_events(server, channel + "-burst") - 1
    return {
        **result,
        "via": via,
        "per_second": result["events"] / result["delivered_seconds"],
        "lost": want - got + result["events"] - stored + result["dropped"],
        "samples": len(lat),
        "p50_ms": 1000 * loadgen.percentile(lat, 0.50),
        "p99_ms": 1000 * loadgen.percentile(lat, 0.99),
        "max_ms": 1000 * max(lat) if lat else float("nan"),
    }


def _stored_events(server: servers.Server, channel: str) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.target.port, timeout=10)
    conn.request("GET", "/sse/channels", headers=server.target.headers)
    rows = json.loads(conn.getresponse().read())
    conn.close()
    return next((int(r["events"]) for r in rows if r["channel"] == channel), 0)


# --- profiling -----------------------------------------------------------------------------


class Profiler:
    """py-spy on the jupyter-sse server while a figure runs; summarised as self time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.summaries: dict[str, list[tuple[str, float]]] = {}

    @contextlib.contextmanager
    def record(self, name: str, server: servers.Server, seconds: float) -> Iterator[None]:
        if self.folder is None or server.name != "jupyter-sse":
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        raw = self.folder / f"{name}.txt"
        spy = Path(sys.executable).with_name("py-spy")
        # Collapsed stacks: readable as text, and the input of flamegraph tools.
        procs = [
            subprocess.Popen(
                [
                    str(spy) if spy.exists() else "py-spy",
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(max(1, round(seconds))),
                    "--rate",
                    "250",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "-o",
                    str(raw),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        try:
            yield
        finally:
            for proc in procs:
                try:
                    proc.wait(timeout=seconds + 30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if raw.exists():
                self.summaries[name] = summarize(raw)


def summarize(raw: Path, top: int = 12) -> list[tuple[str, float]]:
    """Self time per function (the innermost frame of each sample), as shares."""
    self_time: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        self_time[leaf] += int(count)
        total += int(count)
    return [(name, n / total) for name, n in self_time.most_common(top)] if total else []


# --- the table -----------------------------------------------------------------------------


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def per_s(n: float) -> str:
    return f"{n / 1000:,.0f}k/s" if n >= 10_000 else f"{n:,.0f}/s"


def lat(r: dict[str, Any]) -> str:
    text = f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} / {r['max_ms']:.0f} ms"
    if r.get("overloaded") or r["achieved_rate"] < 0.95 * r["rate"]:
        text += f" (kept up with {r['achieved_rate']:.0f} ev/s only)"
    if r.get("load_cpu_share", 0) >= LOAD_BOUND:
        # Its publisher waits behind its readers: the rate may be the load generator's.
        text += f" (load generator {100 * r['load_cpu_share']:.0f}% busy)"
    return text


def pixel_text(r: dict[str, Any]) -> str:
    """Latency of the steps shown, and how many of the calls were shown."""
    return (
        f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} / {r['max_ms']:.0f} ms, "
        f"{r['shown']:,}/{r['events']:,} shown"
    )


def split_text(r: dict[str, Any]) -> str:
    """Where a display's time went: call to message at the page, message to frame."""
    return (
        f"{r['wire_p50_ms']:.1f} / {r['wire_p99_ms']:.1f} ms, "
        f"then {r['page_p50_ms']:.1f} / {r['page_p99_ms']:.1f} ms"
    )


def render(rows: list[Row], names: list[str]) -> str:
    header = ["figure", *names, "ratio", "target"]
    body = [
        [
            row.figure,
            *(row.values.get(n, "-") for n in names),
            row.ratio,
            f"{row.target} ({row.status})" if row.status else row.target,
        ]
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(header), sep, *(fmt(line) for line in body)])


def machine() -> str:
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; nproc: {os.cpu_count()}; "
        f"python {platform.python_version()}; {platform.platform()}; load average at the "
        f"end: {load}\n{mem}"
    )


# --- the run -------------------------------------------------------------------------------


class Bench:
    def __init__(
        self,
        plan: Plan,
        names: list[str],
        tmp: Path,
        profiler: Profiler,
        figures: frozenset[str] = FIGURES,
    ) -> None:
        self.plan = plan
        self.names = names
        self.figures = figures
        self.tmp = tmp
        self.profiler = profiler
        self.rows: dict[str, Row] = {}
        self.unavailable: dict[str, str] = {}
        cores = sorted(os.sched_getaffinity(0))
        self.server_core = cores[0]
        self.load_core = cores[-1]

    def row(self, key: str, figure: str) -> Row:
        if key not in self.rows:
            self.rows[key] = Row(key, figure)
        return self.rows[key]

    def log(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    async def each_server(self) -> None:
        plan = self.plan
        if "ceiling" in self.figures:
            n = plan.single_n
            self.log(f"load generator: ceiling, {n} streams of a source that is never the limit")
            r = await ceiling(self.tmp, self.server_core, n, plan.ceiling_seconds)
            row = self.row(
                "ceiling", f"load-generator ceiling: deliveries/s it parses, {n:,} streams"
            )
            row.raw["jupyter-sse"] = r
            row.values["jupyter-sse"] = per_s(r["per_second"]) + " (its own, not a server's)"
            self.log(f"load generator: ceiling, one event per write, {n} streams")
            r = await ceiling(self.tmp, self.server_core, n, plan.ceiling_seconds, 1)
            row = self.row(
                "ceiling_one",
                f"load-generator ceiling: events/s it reads one per write, {n:,} streams",
            )
            row.raw["jupyter-sse"] = r
            row.values["jupyter-sse"] = (
                f"{per_s(r['per_second'])} (its own; its core {100 * r['load_cpu_share']:.0f}%"
                f" busy, the source's {100 * r['source_cpu_share']:.0f}%)"
            )
        for name in self.names:
            if name == "nchan":
                why = servers.nchan_unavailable()
                if why is not None:
                    self.unavailable[name] = why
                    continue
            if self.figures & SERVER_FIGURES - {"streams"}:
                self.log(f"{name}: starting")
                server = STARTERS[name](self.tmp, self.server_core)
                try:
                    await self.server_figures(server)
                finally:
                    server.stop()
            kernel = name == "jupyter-sse" and "kernel" in self.figures
            if ("streams" in self.figures and name in MANY_SERVERS) or kernel:
                # A server of its own for the many streams: one that held streams
                # before would reuse their memory, and the figure would read low. The
                # kernel figure comes after on the same one (it counts nothing per stream).
                server = STARTERS[name](self.tmp, self.server_core)
                try:
                    if "streams" in self.figures and name in MANY_SERVERS:
                        await self.many(server)
                    if kernel:
                        self.log("jupyter-sse: kernel publish figure")
                        self.kernel(server)
                finally:
                    server.stop()
        if "jupyter-sse" in self.names and "system" in self.figures:
            self.log(f"jupyter-sse: jupyter/system sampling, {plan.system_kernels} kernels")
            server = servers.start_jupyter_sse(self.tmp, self.server_core)
            try:
                r = await system_figure.system_cost(
                    server, plan.system_kernels, plan.system_seconds
                )
            finally:
                server.stop()
            row = self.row(
                "system", f"server CPU of jupyter/system at 1 Hz, {plan.system_kernels} kernels"
            )
            row.raw["jupyter-sse"] = r
            per_sample = r["ms_per_sample"]
            row.values["jupyter-sse"] = f"{100 * r['core_share']:.2f}% of a core" + (
                f" ({per_sample:.2f} ms per sample, {r['samples']} samples)"
                if per_sample is not None
                else " (no sample received)"
            )
        if "jupyter-sse" in self.names and "redis" in self.figures:
            await self.redis()
        if "jupyter-sse" in self.names and "pixel" in self.figures:
            await self.pixel()
        _ = plan

    async def server_figures(self, server: servers.Server) -> None:
        plan, name, figures = self.plan, server.name, self.figures
        lost = self.row("lost", "lost events, all runs")
        lost.raw.setdefault(name, {"lost": 0})

        def add_lost(result: dict[str, Any]) -> None:
            lost.raw[name]["lost"] += result["lost"]
            lost.values[name] = f"{lost.raw[name]['lost']:,}"

        for n in plan.fanout_n if "fanout" in figures else ():
            if n == plan.memory_n:
                continue  # run on the streams of the memory figure, below
            self.log(f"{name}: fan-out, {n} streams")
            with self.profiler.record(f"fanout-{n}", server, plan.fanout_seconds):
                r = await fanout(server, n, plan)
            add_lost(r)
            self.fanout_row(name, n, r)
        for rate in plan.latency_rates if "latency" in figures else ():
            self.log(f"{name}: latency, {rate} events/s x {plan.latency_n} streams")
            with self.profiler.record(f"latency-{rate}", server, plan.latency_seconds):
                r = await latency([server], plan.latency_n, rate, plan)
            add_lost(r)
            row = self.row(
                f"latency_{rate}", f"latency p50/p99/max, {rate} ev/s x {plan.latency_n:,} streams"
            )
            row.raw[name] = r
            row.values[name] = lat(r)
        if "single" in figures:
            n = plan.single_n
            self.log(f"{name}: fan-out, one event per request, {n} streams")
            r = await fanout(server, n, plan, per_request=True)
            add_lost(r)
            row = self.row(
                "single_fanout", f"fan-out deliveries/s, one event per POST, {n:,} streams"
            )
            row.raw[name] = r
            row.values[name] = per_s(r["per_second"])
            for rate in plan.latency_rates:
                self.log(f"{name}: latency, one event per request, {rate} events/s x {n} streams")
                with self.profiler.record(f"single-{rate}", server, plan.single_seconds):
                    r = await latency(
                        [server], n, rate, plan, per_request=True, seconds=plan.single_seconds
                    )
                add_lost(r)
                row = self.row(
                    f"single_{rate}",
                    f"latency p50/p99/max, one event per POST, {rate} ev/s x {n:,} streams",
                )
                row.raw[name] = r
                row.values[name] = lat(r)
        if "resume" in figures:
            self.log(f"{name}: resume of {plan.resume_events} missed events")
            r = await resume(server, plan.resume_events, plan.resume_repeats)
            add_lost(r)
            row = self.row("resume", f"resume {plan.resume_events:,} missed events (Last-Event-ID)")
            row.raw[name] = r
            row.values[name] = f"{r['ms']:.0f} ms"
        if "memory" in figures or ("fanout" in figures and plan.memory_n in plan.fanout_n):
            await self.memory_and_fanout(server, add_lost)

    async def memory_and_fanout(
        self, server: servers.Server, add_lost: Callable[[dict[str, Any]], None]
    ) -> None:
        """10,000 streams, first idle (memory), then fanned out to."""
        plan, name, figures = self.plan, server.name, self.figures
        self.log(f"{name}: {plan.memory_n} idle streams (memory)")
        m, readers, channel = await memory(server, plan.memory_n)
        try:
            row = self.row("memory", f"server memory per idle stream, {plan.memory_n:,} streams")
            row.raw[name] = m
            row.values[name] = f"{kb(m['per_connection'])} ({m['held']:,} held)"
            if plan.memory_n in plan.fanout_n and "fanout" in figures:
                n = plan.memory_n
                self.log(f"{name}: fan-out, {n} streams")
                with self.profiler.record(f"fanout-{n}", server, plan.fanout_seconds):
                    r = await fanout(server, n, plan, readers=readers, channel=channel)
                add_lost(r)
                self.fanout_row(name, n, r)
        finally:
            loadgen.close_readers(readers)

    async def many(self, server: servers.Server) -> None:
        """The many-stream figure: as many streams as this machine allows, up to
        ``plan.many_n``, heartbeats on."""
        name = server.name
        n, why = many_possible(self.plan.many_n)
        row = self.row("many", f"{self.plan.many_n:,} streams, heartbeats on, 1 ev/s to all")
        if why:
            row.note = f"{self.plan.many_n:,} streams not possible on this machine: {why}"
        self.log(f"{name}: {n} streams held, heartbeats every {HEARTBEAT} s")
        try:
            r = await many_streams(server, n, self.plan)
        except (OSError, RuntimeError, TimeoutError) as e:
            row.values[name] = f"could not hold {n:,}: {type(e).__name__}: {str(e)[:80]}"
            return
        row.raw[name] = r
        row.values[name] = (
            f"{r['held']:,} held at {kb(r['per_connection'])} each; "
            f"p50/p99 {r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms, lost {r['lost']:,}"
        )
        lost = self.row("lost", "lost events, all runs")
        lost.raw.setdefault(name, {"lost": 0})
        lost.raw[name]["lost"] += r["lost"]
        lost.values[name] = f"{lost.raw[name]['lost']:,}"

    def fanout_row(self, name: str, n: int, r: dict[str, Any]) -> None:
        row = self.row(f"fanout_{n}", f"fan-out deliveries/s, {n:,} streams, 1 channel")
        row.raw[name] = r
        row.values[name] = per_s(r["per_second"])
        peak = self.row(f"rss_{n}", f"server RSS peak during fan-out, {n:,} streams")
        peak.raw[name] = {"rss_peak": r["rss_peak"]}
        peak.values[name] = f"{r['rss_peak'] / 2**20:.0f} MB"

    def kernel(self, server: servers.Server) -> None:
        plan = self.plan
        with contextlib.ExitStack():
            r = kernel_figure(server, plan, self.tmp)
        rate = r["events"] / r["delivered_seconds"]
        row = self.row(
            "kernel", f"events/s published from one kernel (ch.metric x {r['events']:,})"
        )
        row.raw["jupyter-sse"] = {**r, "per_second": rate, "lost": r["events"] - r["stored"]}
        row.values["jupyter-sse"] = (
            f"{per_s(rate)} delivered; loop {per_s(r['events'] / r['loop_seconds'])}"
        )
        row = self.row("call", "ch.metric per-call cost in the caller")
        row.values["jupyter-sse"] = f"{1e6 * r['loop_seconds'] / r['events']:.1f} µs"
        ours = (r["ours_s"] - r["bare_s"]) / r["iterations"]
        row = self.row("progress", "progress overhead per iteration (vs tqdm)")
        if r["tqdm_s"] is None:
            row.raw["jupyter-sse"] = {"ours_ns": 1e9 * ours, "tqdm_ns": None}
            row.values["jupyter-sse"] = f"{1e9 * ours:.0f} ns (tqdm not installed: bench/setup.sh)"
        else:
            theirs = (r["tqdm_s"] - r["bare_s"]) / r["iterations"]
            row.raw["jupyter-sse"] = {"ours_ns": 1e9 * ours, "tqdm_ns": 1e9 * theirs}
            row.values["jupyter-sse"] = f"{1e9 * ours:.0f} ns (tqdm {1e9 * theirs:.0f} ns)"
        row = self.row("tqdm", "jupyter_sse.tqdm per iteration (vs tqdm.auto)")
        if r["auto_s"] is None:
            row.raw["jupyter-sse"] = {"ours_ns": None, "tqdm_ns": None}
            row.values["jupyter-sse"] = "tqdm not installed: bench/setup.sh"
        else:
            ours_ns = 1e9 * (r["drop_in_s"] - r["bare_s"]) / r["iterations"]
            auto_ns = 1e9 * (r["auto_s"] - r["bare_s"]) / r["iterations"]
            row.raw["jupyter-sse"] = {"ours_ns": ours_ns, "tqdm_ns": auto_ns}
            row.values["jupyter-sse"] = f"{ours_ns:.0f} ns (tqdm.auto {auto_ns:.0f} ns)"
        lost = self.row("lost", "lost events, all runs")
        lost.raw.setdefault("jupyter-sse", {"lost": 0})
        lost.raw["jupyter-sse"]["lost"] += r["events"] - r["stored"] + r["dropped"]
        lost.values["jupyter-sse"] = f"{lost.raw['jupyter-sse']['lost']:,}"

    async def redis(self) -> None:
        plan = self.plan
        why = redis_unavailable()
        if why is None:
            proc, url = servers.start_redis(self.tmp, self.server_core)
            started: list[servers.Server] = []
            try:
                for i in range(2):
                    started.append(
                        servers.start_jupyter_sse(
                            self.tmp, self.server_core, redis_url=url, name=f"jupyter-sse-redis{i}"
                        )
                    )
                for rate in plan.latency_rates:
                    self.log(f"redis: latency, {rate} events/s x {plan.latency_n} streams")
                    try:
                        r = await latency(started, plan.latency_n, rate, plan)
                    except RuntimeError as e:
                        why = f"Redis broker unavailable ({e})"
                        break
                    row = self.row(
                        f"redis_{rate}",
                        f"latency via Redis, 2 servers, {rate} ev/s x {plan.latency_n:,} streams",
                    )
                    row.raw["jupyter-sse"] = r
                    row.values["jupyter-sse"] = lat(r)
                    lost = self.row("lost", "lost events, all runs")
                    lost.raw.setdefault("jupyter-sse", {"lost": 0})
                    lost.raw["jupyter-sse"]["lost"] += r["lost"]
                    lost.values["jupyter-sse"] = f"{lost.raw['jupyter-sse']['lost']:,}"
                if "kernel" in self.figures:
                    for via in ("server", "redis"):
                        self.log(f"redis: kernel publishing through {via}")
                        r = await transport_figure(started[0], url, via, plan, self.tmp)
                        self.transport_row(r)
            except RuntimeError as e:
                why = f"Redis broker unavailable ({str(e).splitlines()[0]})"
            finally:
                for s in started:
                    s.stop()
                proc.terminate()
                proc.wait(timeout=10)
        if why is not None:
            for rate in plan.latency_rates:
                row = self.row(
                    f"redis_{rate}",
                    f"latency via Redis, 2 servers, {rate} ev/s x {plan.latency_n:,} streams",
                )
                row.values["jupyter-sse"] = f"not measured: {why}"

    async def pixel(self) -> None:
        events = self.plan.pixel_events
        self.log(
            "jupyter-sse: kernel to pixel, "
            + ", ".join(f"{n} calls at {rate}/s" for rate, n in events.items())
        )
        rates = tuple(sorted(events))
        r = await asyncio.to_thread(pixel_figure.measure, self.tmp, rates, events)
        peers = {"ipywidgets": "ipywidgets FloatProgress", "tqdm": "tqdm.notebook"}
        for where, shown_in in (("lab", "JupyterLab output"), ("dash", "dashboard page")):
            for rate in rates:
                ours = r["jupyter-sse"][where][rate]
                row = self.row(
                    f"pixel_{where}_{rate}",
                    f"kernel to pixel p50/p99/max, ch.metric at {rate}/s, {shown_in}",
                )
                row.raw["jupyter-sse"] = ours
                row.values["jupyter-sse"] = pixel_text(ours)
                for peer in peers:
                    row.raw[peer] = r[peer]["lab"][rate]
                splits = [
                    f"{name} {split_text(row.raw[key])}"
                    for key, name in (("jupyter-sse", "ours"), ("ipywidgets", "ipywidgets"))
                    if "wire_p50_ms" in row.raw[key]
                ]
                if splits:
                    row.note = (
                        "call to message at the page, then to frame, p50 / p99: "
                        + "; ".join(splits)
                    )
                if where == "lab":
                    row.ratio = "; ".join(
                        f"{label}: {pixel_text(r[peer]['lab'][rate])}"
                        for peer, label in peers.items()
                    )

    def transport_row(self, r: dict[str, Any]) -> None:
        how = {
            "server": "through its server (its publish socket; the server runs the Redis script)",
            "redis": "straight into Redis (the direct transport, as a script uses it)",
        }[r["via"]]
        row = self.row(f"transport_{r['via']}", f"kernel into a Redis-backed server, {how}")
        row.raw["jupyter-sse"] = r
        row.values["jupyter-sse"] = (
            f"{per_s(r['per_second'])} delivered; at {self.plan.transport_rate} ev/s "
            f"p50/p99 {r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms"
        )
        lost = self.row("lost", "lost events, all runs")
        lost.raw.setdefault("jupyter-sse", {"lost": 0})
        lost.raw["jupyter-sse"]["lost"] += r["lost"]
        lost.values["jupyter-sse"] = f"{lost.raw['jupyter-sse']['lost']:,}"

    def judge(self) -> None:
        """Targets next to figures: met or MISSED, never loosened."""
        rows, plan = self.rows, self.plan
        j = "jupyter-sse"

        def ok(row: Row, met: bool | None, target: str, ratio: str = "") -> None:
            row.target, row.ratio = target, ratio or row.ratio
            row.status = "" if met is None else ("met" if met else "MISSED")

        def raw(key: str, name: str, field_: str) -> float | None:
            row = rows.get(key)
            value = row.raw.get(name, {}).get(field_) if row else None
            return None if value is None else float(value)

        for n in plan.fanout_n:
            row = rows.get(f"fanout_{n}")
            if row is None:
                continue
            ours = raw(row.key, j, "per_second")
            ratios = {
                p: ours / v
                for p in ("tornado", "sse-starlette", "nchan")
                if ours and (v := raw(row.key, p, "per_second"))
            }
            row.ratio = ", ".join(f"{v:.2f}x {p}" for p, v in ratios.items())
            if n == 1000:
                met = None
                if "tornado" in ratios and "sse-starlette" in ratios:
                    met = ratios["tornado"] >= 1.5 and ratios["sse-starlette"] >= 4
                ok(row, met, ">= 1.5x tornado and >= 4x sse-starlette")
        if row := rows.get("single_fanout"):
            ours = raw(row.key, j, "per_second")
            row.ratio = ", ".join(
                f"{ours / v:.2f}x {p}"
                for p in ("tornado", "sse-starlette", "nchan")
                if ours and (v := raw(row.key, p, "per_second"))
            )
        for rate, bound in ((100, 10), (1000, 15)):
            if (row := rows.get(f"single_{rate}")) and (r := row.raw.get(j)):
                ok(
                    row,
                    r["p99_ms"] <= bound
                    and r["achieved_rate"] >= 0.95 * r["rate"]
                    and r["lost"] == 0,
                    f"p99 <= {bound} ms, every event delivered",
                )
        if row := rows.get("many"):
            target = f"{plan.many_n:,} held at <= 5 KB each, broadcast p99 <= 1 s, none lost"
            m = row.raw.get(j)
            met = None
            if m is not None:
                met = (
                    m["held"] == m["connections"]
                    and m["per_connection"] <= 5 * 1024
                    and m["p99_ms"] <= 1000
                    and m["lost"] == 0
                )
            if m is not None and m["connections"] < plan.many_n:
                at = f"at {m['connections']:,}: {'met' if met else 'MISSED'}"
                row.target = f"{target} (not measured at {plan.many_n:,}; {at})"
            else:
                ok(row, met, target)
        if (ceil := raw("ceiling", j, "per_second")) is not None:
            for key in [f"fanout_{n}" for n in plan.fanout_n] + ["single_fanout"]:
                if not (row := rows.get(key)):
                    continue
                for name, r in row.raw.items():
                    if (
                        r.get("per_second", 0) >= 0.8 * ceil
                        and r.get("connections") == plan.single_n
                    ):
                        row.values[name] += " (load-generator bound)"
        if (row := rows.get("memory")) and (m := row.raw.get(j)):
            ok(
                row,
                m["held"] == plan.memory_n and m["per_connection"] <= 10 * 1024,
                f"{plan.memory_n:,} held at <= 10 KB each",
            )
        if (row := rows.get("latency_1000")) and (r := row.raw.get(j)):
            ok(row, r["p99_ms"] <= 10 and r["achieved_rate"] >= 0.95 * r["rate"], "p99 <= 10 ms")
        if (row := rows.get("latency_100")) and (r := row.raw.get(j)):
            row.target = "-"
        if (row := rows.get("redis_1000")) and (r := row.raw.get(j)):
            ok(row, r["p99_ms"] <= 20 and r["achieved_rate"] >= 0.95 * r["rate"], "p99 <= 20 ms")
        elif row := rows.get("redis_1000"):
            row.target = "p99 <= 20 ms (not measured)"
        if (row := rows.get("kernel")) and (r := row.raw.get(j)):
            ok(row, r["per_second"] >= 100_000 and r["lost"] == 0, ">= 100k/s delivered")
        if (row := rows.get("progress")) and (r := row.raw.get(j)):
            if r["tqdm_ns"] is None:
                ok(row, None, "<= 2x tqdm (not measured)")
            else:
                ratio = r["ours_ns"] / r["tqdm_ns"] if r["tqdm_ns"] > 0 else float("inf")
                ok(row, ratio <= 2, "<= 2x tqdm", f"{ratio:.2f}x tqdm")
        if (row := rows.get("tqdm")) and (r := row.raw.get(j)):
            if r["tqdm_ns"] is None:
                ok(row, None, "<= 2x tqdm.auto (not measured)")
            else:
                ratio = r["ours_ns"] / r["tqdm_ns"] if r["tqdm_ns"] > 0 else float("inf")
                ok(row, ratio <= 2, "<= 2x tqdm.auto", f"{ratio:.2f}x tqdm.auto")
        if (row := rows.get("resume")) and (r := row.raw.get(j)):
            against = [
                f"{r['ms'] / v['ms']:.2f}x {p}"
                for p, v in row.raw.items()
                if p != j and v.get("ms")
            ]
            ok(
                row,
                r["ms"] <= 250 and r["lost"] == 0,
                "<= 250 ms",
                "time " + ", ".join(against) if against else "",
            )
        if (row := rows.get("system")) and (r := row.raw.get(j)):
            ok(row, r["samples"] > 0 and r["core_share"] < 0.01, "< 1% of one core")
        if row := rows.get("lost"):
            ok(row, all(v["lost"] == 0 for v in row.raw.values()), "0")
        for key, row in rows.items():
            if not key.startswith("pixel_") or j not in row.raw:
                continue
            ours = row.raw[j]["p99_ms"]
            theirs = {p: row.raw[p]["p99_ms"] for p in ("ipywidgets", "tqdm")}
            if key.startswith("pixel_dash_"):
                row.ratio = (
                    "p99 "
                    + ", ".join(
                        f"{ours / v:.2f}x {'tqdm.notebook' if p == 'tqdm' else p}"
                        for p, v in theirs.items()
                    )
                    + " (theirs in JupyterLab)"
                )
            # NaN p99 (nothing shown): ours then misses; a peer that showed nothing is behind.
            ok(
                row,
                ours <= 50 and all(ours < v or v != v for v in theirs.values()),
                "p99 <= 50 ms, below ipywidgets' and tqdm.notebook's",
            )

    def ordered(self) -> list[Row]:
        order = (
            [f"fanout_{n}" for n in self.plan.fanout_n]
            + [
                "lost",
                "latency_100",
                "latency_1000",
                "ceiling",
                "single_fanout",
                "ceiling_one",
                "single_100",
                "single_1000",
                "redis_100",
                "redis_1000",
                "kernel",
                "transport_server",
                "transport_redis",
                "call",
                "progress",
                "tqdm",
                "memory",
                "resume",
                "system",
                "many",
            ]
            + [f"pixel_{w}_{r}" for w in ("lab", "dash") for r in sorted(self.plan.pixel_events)]
            + [f"rss_{n}" for n in self.plan.fanout_n]
        )
        return [self.rows[k] for k in order if k in self.rows]


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the load generator when installed: its callbacks cost a fraction of
    asyncio's, so one load-generator core can read what a fast server sends."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def redis_unavailable() -> str | None:
    if not (servers.ROOT / "jupyter_sse" / "server" / "broker" / "redis.py").exists():
        return "Redis broker unavailable (jupyter_sse/server/broker/redis.py does not exist)"
    try:
        import jupyter_sse.server.broker.redis as module
    except Exception as e:
        return f"Redis broker unavailable (import failed: {type(e).__name__}: {e})"
    if not hasattr(module, "RedisBroker"):
        return "Redis broker unavailable (no RedisBroker in jupyter_sse/server/broker/redis.py)"
    import shutil

    if shutil.which("redis-server") is None:
        return "Redis broker unavailable (redis-server is not installed)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N: under 2 minutes")
    parser.add_argument(
        "--only",
        default=",".join(SERVERS),
        help=f"comma-separated servers to run (default: {','.join(SERVERS)})",
    )
    parser.add_argument(
        "--figures",
        default=",".join(sorted(FIGURES)),
        help=f"comma-separated figures to run (default: all of {','.join(sorted(FIGURES))})",
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--profile", type=Path, help="record py-spy profiles of jupyter-sse here and summarise them"
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers {sorted(unknown)}; choose from {SERVERS}")

    figures = frozenset(f.strip() for f in args.figures.split(",") if f.strip())
    if figures - FIGURES:
        parser.error(f"unknown figures {sorted(figures - FIGURES)}; choose from {sorted(FIGURES)}")

    raise_nofile()
    plan = Plan.make(args.quick)
    with tempfile.TemporaryDirectory(prefix="jupyter-sse-bench-") as tmp:
        bench = Bench(plan, names, Path(tmp), Profiler(args.profile), figures)
        # The load generator (this process, and the kernel it starts) on one core, the
        # servers on the other: each figure then measures the server, not the contention.
        os.sched_setaffinity(0, {bench.load_core})
        started = time.perf_counter()
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(bench.each_server())
        bench.judge()
        rows = bench.ordered()
        columns = [n for n in SERVERS if n in names]
        for name in bench.unavailable:
            for row in rows:
                row.values.setdefault(name, "unavailable")
        print()
        print(
            f"jupyter-sse bench{' (QUICK: small N, targets indicative only)' if plan.quick else ''}"
        )
        print(machine())
        print(
            f"server core {bench.server_core}, load-generator core {bench.load_core}; "
            f"ran in {time.perf_counter() - started:.0f} s"
        )
        print()
        print(render(rows, columns))
        for name, why in bench.unavailable.items():
            print(f"\n{name} unavailable: {why}")
        for row in rows:
            if row.note:
                print(f"\n{row.figure}: {row.note}")
        for name, top in bench.profiler.summaries.items():
            print(f"\nprofile of jupyter-sse during {name} (self time, py-spy):")
            for func, share in top:
                print(f"  {100 * share:5.1f}%  {func}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "quick": plan.quick,
                        "servers": columns,
                        "unavailable": bench.unavailable,
                        "rows": [row.__dict__ for row in rows],
                    },
                    indent=1,
                    default=str,
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
