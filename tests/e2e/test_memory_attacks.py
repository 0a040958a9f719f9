"""The memory attacks of the review, replayed against a real server process: its
resident memory must stay within the bound the README states, whatever clients do.

Measured before the bounds existed (memory broker, one server):
  30 slow viewers resuming over 10 MB of history    +215 MB
  30 slow viewers of a 10 MB snapshot               +264 MB
  10 slow viewers on `*` with 100,000 channels      +755 MB and a 9.0 s loop stall
  a 100 MB publish body                             +773 MB and a 6.5 s stall

Each figure is printed (run pytest with -s to see them).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from jupyter_sse.server.streams import FIRST_BATCH_BYTES
from tests.support.live_server import LiveServer, live_server

MiB = 1024 * 1024
BUFFER = MiB  # c.SSEApp.client_buffer_bytes (the default)
SNAPSHOT = MiB  # c.SSEApp.snapshot_bytes (the default)
PER_STREAM_OVERHEAD = 64 * 1024  # objects of one stream and its socket, generously
SLACK = 24 * MiB  # the allocator and the interpreter: pages they keep, garbage not yet freed

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    # The defaults for every bound; nothing here is tuned for the test.
    with live_server(tmp_path, "--SSEApp.heartbeat_interval=0") as server:
        yield server


@asynccontextmanager
async def slow_viewers(
    live: LiveServer, count: int, query: str, last_event_id: str | None = None
) -> AsyncIterator[list[socket.socket]]:
    """``count`` streams whose clients read their headers and then nothing more."""
    url = urlsplit(live.base)
    loop = asyncio.get_running_loop()
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await loop.sock_connect(sock, (url.hostname, url.port))
            resume = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
            await loop.sock_sendall(
                sock,
                (
                    f"GET /sse/stream?{query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                    f"Authorization: {live.auth['Authorization']}\r\n{resume}\r\n"
                ).encode(),
            )
            head = await asyncio.wait_for(loop.sock_recv(sock, 512), 10)
            assert head.startswith(b"HTTP/1.1 200"), head
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


async def settle(live: LiveServer) -> int:
    """The server's RSS once it has stopped growing (it writes what the sockets take)."""
    last = live.rss()
    for _ in range(20):
        await asyncio.sleep(0.25)
        now = live.rss()
        if abs(now - last) < 256 * 1024:
            return now
        last = now
    return last


async def publish(client: httpx.AsyncClient, live: LiveServer, events: list[dict]) -> list[str]:
    r = await client.post(live.base + "sse/publish", json=events, headers=live.auth)
    assert r.status_code == 200, r.text
    ids: list[str] = r.json()["ids"]
    return ids


def report(name: str, growth: int, bound: int) -> None:
    print(f"\n{name}: RSS +{growth / MiB:.1f} MB (bound {bound / MiB:.1f} MB)")
    assert growth <= bound, f"{name}: grew {growth / MiB:.1f} MB, over {bound / MiB:.1f} MB"


async def test_slow_resumes_over_a_long_history_stay_within_the_bound(live: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        blob = "h" * 2000
        first = ""
        for c in range(12):  # 12 channels x ~0.9 MB: about 10 MB of history
            for _ in range(5):
                ids = await publish(
                    client, live, [{"channel": f"resume/{c}", "type": "b", "data": blob}] * 90
                )
                first = first or ids[0]
        events = 12 * 5 * 90
        before = await settle(live)
        epoch = first.rpartition("-")[0]
        async with slow_viewers(live, 30, "channel=resume/*", last_event_id=f"{epoch}-0"):
            grown = await settle(live) - before
        per_stream = FIRST_BATCH_BYTES + 8 * events + PER_STREAM_OVERHEAD
        report("30 slow resumes over 10 MB of history", grown, 30 * per_stream + SLACK)


async def test_slow_viewers_of_large_snapshots_stay_within_the_bound(live: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        value = "s" * 100_000
        for c in range(10):  # 10 channels x ~1 MB of state: a 10 MB snapshot
            await publish(
                client,
                live,
                [
                    {
                        "channel": f"snap/{c}",
                        "type": "status",
                        "data": {"key": f"k{i}", "value": value},
                    }
                    for i in range(10)
                ],
            )
        before = await settle(live)
        async with slow_viewers(live, 30, "channel=snap/*"):
            grown = await settle(live) - before
        # In flight per stream: one snapshot frame (larger than a batch); the snapshot
        # texts themselves are shared by every viewer (built once per channel).
        per_stream = SNAPSHOT + FIRST_BATCH_BYTES + PER_STREAM_OVERHEAD
        report(
            "30 slow viewers of a 10 MB snapshot", grown, 30 * per_stream + 10 * SNAPSHOT + SLACK
        )


async def health_latencies(live: LiveServer, stop: asyncio.Event) -> list[float]:
    """``sse/health`` round trips (seconds), asked in a loop until ``stop``."""
    times = []
    async with httpx.AsyncClient(timeout=30) as client:
        while not stop.is_set():
            start = time.perf_counter()
            r = await client.get(live.base + "sse/health", headers=live.auth)
            assert r.status_code == 200
            times.append(time.perf_counter() - start)
            await asyncio.sleep(0.02)
    return times


async def test_a_hundred_thousand_channels_stay_within_the_bound(live: LiveServer) -> None:
    base_rss = await settle(live)
    stop = asyncio.Event()
    prober = asyncio.ensure_future(health_latencies(live, stop))
    peak = base_rss
    async with httpx.AsyncClient(timeout=60) as client:
        for batch in range(100):  # 100,000 distinct channel names
            events = [
                {"channel": f"many/{batch}/{i}", "type": "log", "data": {"text": "x"}}
                for i in range(1000)
            ]
            await publish(client, live, events)
            peak = max(peak, live.rss())
        stop.set()
        latencies = await prober
        rows = (await client.get(live.base + "sse/channels", headers=live.auth)).json()
    assert len(rows) == 10_000  # c.SSEApp.max_channels: the idle longest made room
    print(
        f"\n100,000 channel creations: RSS peak +{(peak - base_rss) / MiB:.1f} MB; "
        f"sse/health p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} requests"
    )
    # 10,000 channels of one small event: each well under 4 KB with its history and state.
    report("100,000 channel creations", peak - base_rss, 10_000 * 4096 + SLACK)
    assert statistics.median(latencies) < 0.25

    # A channel's first snapshot builds its state's text, kept until the channel changes
    # and shared by every viewer: the channels' memory, built here by one viewer (gone
    # before the count), within their bound; what ten viewers add is counted after it.
    async with slow_viewers(live, 1, "channel=*"):
        await settle(live)
    before = await settle(live)
    report("10,000 channels with their snapshot texts", before - base_rss, 10_000 * 4096 + SLACK)
    async with slow_viewers(live, 10, "channel=*"):
        grown = await settle(live) - before
    # Per stream: the list of 10,000 (name, state) references and the batch in flight.
    per_stream = FIRST_BATCH_BYTES + 10_000 * 200 + PER_STREAM_OVERHEAD
    report("10 slow viewers on * with 10,000 channels", grown, 10 * per_stream + SLACK)


async def send_body(live: LiveServer, *, chunked: bool) -> tuple[bytes, int]:
    """POST a 100 MB body, with a Content-Length or chunked; the answer and the bytes the
    server took before it answered and closed."""
    url = urlsplit(live.base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {100 * MiB}"
    writer.write(
        (
            f"POST /sse/publish HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: {live.auth['Authorization']}\r\n{framing}\r\n\r\n"
        ).encode()
    )
    sent = 0
    chunk = b" " * MiB
    if chunked:
        chunk = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    answer = b""
    try:
        while sent < 100 * MiB:  # the server refuses long before the end
            if not chunked and sent == 0:
                # It answers from the Content-Length alone, before a byte of the body.
                answer = await asyncio.wait_for(reader.read(200), 10)
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), 10)
            sent += MiB
    except (ConnectionError, asyncio.TimeoutError):
        pass
    if not answer:
        try:
            answer = await asyncio.wait_for(reader.read(200), 10)
        except ConnectionError:
            answer = b"(connection closed)"
    writer.close()
    return answer, sent


async def test_a_100_mb_body_costs_nothing(live: LiveServer) -> None:
    for chunked in (False, True):
        before = await settle(live)
        stop = asyncio.Event()
        prober = asyncio.ensure_future(health_latencies(live, stop))
        answer, sent = await send_body(live, chunked=chunked)
        stop.set()
        latencies = await prober
        grown = await settle(live) - before
        kind = "chunked" if chunked else "with Content-Length"
        print(
            f"\n100 MB body {kind}: {answer[:12]!r} after {sent / MiB:.0f} MB sent; "
            f"sse/health max {max(latencies) * 1000:.1f} ms"
        )
        if not chunked:
            assert answer.startswith(b"HTTP/1.1 413"), answer
        # The server stops reading at max_request_bytes (4 MiB): far from 100 MB.
        assert sent <= 16 * MiB + 4 * MiB  # what the kernel's socket buffers took, at most
        report(f"a 100 MB publish body {kind}", grown, 4 * MiB * 2 + SLACK)
