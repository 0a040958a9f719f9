"""The load generator: raw SSE readers and an event publisher, on asyncio protocols.

It shares no code with the project's clients on purpose: it speaks HTTP/1.1 and SSE
itself (chunked decoding, event splitting), so every server under test is read the
same way and a bug in the project's client code cannot flatter the project.

Every event the publisher sends carries ``"t":<send time>`` in its JSON data; a
reader counts the events that contain that marker and, when asked to, parses the
stamps to measure latency. Counting runs at C speed (``bytes.count``); parsing runs
only on the readers chosen to sample latency, so one load-generator core can read
far more deliveries than it could parse.

A sampling reader measures latency to the moment the event's bytes *arrived* at its
socket, stamped by the kernel (``SO_TIMESTAMPNS``), not to the moment this process got
round to reading them: with a thousand readers on one core, the last socket of a sweep
is read milliseconds after its bytes arrived, and that delay is the load generator's,
not the server's. Each sampler also records the read time, so the client's own delay
is reported next to the figure (``read_latencies``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

MARK = b'"t":'
STAMP = re.compile(rb'"t": ?([0-9.]+)')
ID_LINE = re.compile(rb"(?:^|\n)id: ?([^\n]*)\n")
MAX_BATCH = 500  # events per POST (jupyter-sse takes at most 1000)
CONNECT_TIMEOUT = 30.0  # seconds for one reader to get its response headers
# Linux: a software receive timestamp (struct timespec) with every recvmsg. Not every
# Python names the constant.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
READ_BYTES = 256 * 1024
STAMP_SPACE = socket.CMSG_SPACE(16)


@dataclass
class Target:
    """Where a server under test streams and takes publishes."""

    name: str
    host: str
    port: int
    stream_path: str  # path + query of the SSE stream, for a given channel: format(channel=)
    publish_path: str  # path of the publish endpoint, format(channel=)
    headers: dict[str, str] = field(default_factory=dict)
    batch_publish: bool = True  # the endpoint takes a JSON array of events
    publish_body: Callable[[str, list[dict[str, Any]]], bytes] | None = None


class Reader(asyncio.Protocol):
    """One raw SSE connection: counts stamped events, optionally records latencies."""

    def __init__(self, sample: bool, done: asyncio.Future[None] | None = None) -> None:
        self.sample = sample
        self.count = 0
        self.latencies: list[float] = []  # send stamp to arrival at the socket
        self.read_latencies: list[float] = []  # send stamp to this process reading it
        self.arrival: float | None = None  # kernel stamp of the bytes being parsed
        self.stamped = 0  # latencies measured to a kernel stamp (the rest: to the read)
        self.last_id: bytes | None = None
        self.track_id = False
        self.status = 0
        self.headers_done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.want: int | None = None
        self.reached: asyncio.Future[float] | None = None
        self._head = b""
        self._chunked = False
        self._chunk_left = 0  # bytes of the current chunk's data still to come
        self._skip = 0  # bytes of the CRLF that ends a chunk still to skip
        self._chunk_line = b""
        self._body = b""  # SSE bytes not yet ending in a blank line
        self.transport: asyncio.Transport | None = None

    # --- asyncio.Protocol -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.headers_done.done():
            self.headers_done.set_exception(ConnectionError(f"closed before headers: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        if not self.headers_done.done():
            data = self._head + data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self._head = data
                return
            head, data = data[:end].decode("latin-1"), data[end + 4 :]
            self._head = b""
            self.status = int(head.split(" ", 2)[1])
            self._chunked = "transfer-encoding: chunked" in head.lower()
            self.headers_done.set_result(None)
            if not data:
                return
        if self._chunked and self.track_id:
            data = self._dechunk(data)
        # Counting and stamps need no dechunking: chunk-size lines never contain the
        # marker, and every server here writes whole events per chunk. (An event split
        # across chunks would miscount, and show up as lost or extra events.)
        self._sse(data)

    # --- decoding -------------------------------------------------------------------

    def _dechunk(self, data: bytes) -> bytes:
        out: list[bytes] = []
        pos, n = 0, len(data)
        while pos < n:
            if self._chunk_left:
                take = min(self._chunk_left, n - pos)
                out.append(data[pos : pos + take])
                pos += take
                self._chunk_left -= take
                continue
            if self._skip:  # the CRLF after a chunk's data, maybe split across reads
                take = min(self._skip, n - pos)
                pos += take
                self._skip -= take
                continue
            end = data.find(b"\n", pos)
            if end < 0:
                self._chunk_line += data[pos:]
                break
            line = (self._chunk_line + data[pos:end]).strip()
            self._chunk_line = b""
            pos = end + 1
            size = int(line.split(b";", 1)[0], 16)
            if size == 0:
                break
            self._chunk_left, self._skip = size, 2
        return b"".join(out)

    def _sse(self, data: bytes) -> None:
        body = self._body + data if self._body else data
        end = body.rfind(b"\n\n")
        if end < 0:
            self._body = body
            return
        complete, self._body = body[: end + 2], body[end + 2 :]
        self.count += complete.count(MARK)
        if self.track_id:
            ids = ID_LINE.findall(complete)
            if ids:
                self.last_id = ids[-1]
        if self.sample:
            now = time.time()
            # The stamp is the last segment's of the read: an event that came in an
            # earlier segment of it reads a little late, never early.
            arrived = self.arrival if self.arrival is not None else now
            stamps = STAMP.findall(complete)
            if self.arrival is not None:
                self.stamped += len(stamps)
            for m in stamps:
                sent = float(m)
                self.latencies.append(arrived - sent)
                self.read_latencies.append(now - sent)
        reached = self.reached
        if self.want is not None and self.count >= self.want and reached and not reached.done():
            reached.set_result(time.perf_counter())


async def open_reader(
    target: Target,
    channel: str,
    *,
    sample: bool = False,
    source: str | None = None,
    headers: dict[str, str] | None = None,
    want: int | None = None,
    track_id: bool = False,
) -> Reader:
    """Open one stream and wait for its response headers (status 200 checked).

    ``want``: the reader's ``reached`` future gets the ``perf_counter`` time at which it
    has parsed that many stamped events. ``track_id``: keep the last ``id:`` seen.
    """
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    if source is not None:
        # Several source addresses on 127/8 multiply the ephemeral ports available; the
        # port is picked at connect time, so binding here reserves none.
        sock.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
        sock.bind((source, 0))
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (target.host, target.port)), CONNECT_TIMEOUT)
    except BaseException:
        sock.close()
        raise

    def make() -> Reader:
        reader = Reader(sample)
        reader.track_id = track_id
        if want is not None:
            reader.want, reader.reached = want, loop.create_future()
        return reader

    if sample:
        reader = make()
        transport: asyncio.Transport | StampedTransport = StampedTransport(loop, sock, reader)
    else:
        transport, reader = await loop.create_connection(make, sock=sock)
    lines = [
        f"GET {target.stream_path.format(channel=channel)} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Accept: text/event-stream",
        *(f"{k}: {v}" for k, v in {**target.headers, **(headers or {})}.items()),
    ]
    transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        await asyncio.wait_for(reader.headers_done, CONNECT_TIMEOUT)
    except BaseException:
        transport.close()
        raise
    if reader.status != 200:
        transport.close()
        raise ConnectionError(f"{target.name}: stream answered {reader.status}")
    return reader


class StampedTransport(asyncio.BaseTransport):
    """A sampling reader's socket, read with ``recvmsg`` for the kernel's arrival stamp
    (an asyncio transport does not hand its protocol the ancillary data)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, reader: Reader
    ) -> None:
        super().__init__()
        self._loop, self._sock, self._reader = loop, sock, reader
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._closed = False
        reader.connection_made(self)
        loop.add_reader(sock.fileno(), self._readable)

    def write(self, data: bytes) -> None:
        # Only the request head, a few hundred bytes into an empty send buffer.
        self._sock.send(data)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._reader.connection_lost(None)

    def is_closing(self) -> bool:
        return self._closed

    def _readable(self) -> None:
        for _ in range(64):  # bounded: other sockets get their turn
            try:
                data, ancillary, _, _ = self._sock.recvmsg(READ_BYTES, STAMP_SPACE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.close()
                return
            if not data:
                self.close()
                return
            arrival = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    arrival = seconds + nanoseconds / 1e9
            self._reader.arrival = arrival
            self._reader.data_received(data)


async def open_readers(
    target: Target,
    channel: str,
    n: int,
    *,
    sample_every: int = 0,
    sources: Sequence[str] = ("127.0.0.1",),
    concurrency: int = 200,
    deadline: float = 300.0,
) -> list[Reader]:
    """Open ``n`` streams, at most ``concurrency`` connecting at once, within ``deadline`` s."""
    readers: list[Reader | None] = [None] * n
    gate = asyncio.Semaphore(concurrency)
    end = time.monotonic() + deadline

    async def one(i: int) -> None:
        async with gate:
            if time.monotonic() > end:
                raise TimeoutError(f"{target.name}: opening {n} streams took over {deadline}s")
            readers[i] = await open_reader(
                target,
                channel,
                sample=bool(sample_every) and i % sample_every == 0,
                source=sources[i % len(sources)] if len(sources) > 1 else None,
            )

    try:
        await asyncio.gather(*(one(i) for i in range(n)))
    except BaseException:
        close_readers([r for r in readers if r is not None])
        raise
    return [r for r in readers if r is not None]


def close_readers(readers: Sequence[Reader]) -> None:
    for reader in readers:
        if reader.transport is not None:
            reader.transport.close()


def delivered(readers: Sequence[Reader]) -> int:
    return sum(r.count for r in readers)


# --- publishing ----------------------------------------------------------------------


class Publisher:
    """A kept-alive HTTP/1.1 connection that POSTs stamped events to one target."""

    def __init__(self, target: Target, channel: str) -> None:
        self.target = target
        self.channel = channel
        self.sent = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.target.host, self.target.port
        )
        # As curl and most HTTP clients do: a request is written whole, and must not
        # wait for the ACK of the previous one.
        sock = self._writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()

    def _events(self, count: int) -> list[dict[str, Any]]:
        now = time.time()
        start = self.sent
        self.sent += count
        return [
            {"channel": self.channel, "type": "tick", "data": {"t": now, "n": start + i}}
            for i in range(count)
        ]

    async def publish(self, count: int) -> None:
        """Send ``count`` events stamped now: POSTs of at most MAX_BATCH events, or one
        per event if the target takes no batches (requests pipelined, answers awaited
        together)."""
        for start in range(0, count, MAX_BATCH):
            await self._publish(min(MAX_BATCH, count - start))

    async def publish_one(self) -> None:
        """POST one event stamped now, as one JSON object, and wait for the answer: what
        ``curl``, a shell loop or a client in another language does."""
        await self._publish(1, one=True)

    async def _publish(self, count: int, *, one: bool = False) -> None:
        events = self._events(count)
        target = self.target
        if one:
            (event,) = events
            bodies = [one_event_body(target, self.channel, event)]
        elif target.batch_publish:
            bodies = [
                target.publish_body(self.channel, events)
                if target.publish_body
                else json.dumps(events).encode()
            ]
        else:
            assert target.publish_body is not None
            bodies = [target.publish_body(self.channel, [e]) for e in events]
        assert self._writer is not None
        assert self._reader is not None
        self._writer.write(
            b"".join(request_head(target, self.channel, len(body)) + body for body in bodies)
        )
        close = False
        for _ in bodies:
            close = await self._answer() or close
        if close:
            # The server ends the kept-alive connection (e.g. a request-count limit).
            await self.close()
            await self.connect()

    async def _answer(self) -> bool:
        """Read one answer; True when the server will close the connection after it."""
        assert self._reader is not None
        head = await asyncio.wait_for(self._reader.readuntil(b"\r\n\r\n"), 30)
        status = int(head.split(b" ", 2)[1])
        length, chunked = body_framing(head.split(b"\r\n"))
        if chunked:
            body = b""
            for _ in range(10_000):
                size = int((await self._reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self._reader.readexactly(length)
        if status not in (200, 201, 202):
            raise RuntimeError(f"{self.target.name}: publish answered {status}: {body[:200]!r}")
        return b"\r\nconnection: close" in head.lower()


class Steady:
    """A steady ``rate`` events/s for ``seconds``, in ticks of 10 ms: how many events are
    due at each tick, and how long until the next. Both publishers of the latency figures
    follow it, one awaiting between ticks, the other sleeping in a thread of its own."""

    TICK = 0.01  # seconds

    def __init__(self, rate: int, seconds: float) -> None:
        self.rate = rate
        self.seconds = seconds
        self.t0 = time.perf_counter()

    def ticks(self) -> range:
        """The ticks of the run: the loop over them is bounded."""
        return range(int(self.seconds / self.TICK) + 1)

    def over(self) -> bool:
        """The run's time is up: a slow publish answer must not stretch it."""
        return time.perf_counter() - self.t0 > self.seconds

    def due(self, sent: int) -> int:
        """Events due now, ``sent`` of them sent so far."""
        # Rounded, not floored: a tick that wakes a hair before its time (timers have
        # millisecond grain) would otherwise send nothing, and the next tick two events
        # back to back: a burst the steady rate has not.
        return round(self.rate * (time.perf_counter() - self.t0)) - sent

    def until_next(self, tick: int) -> float:
        """Seconds from now to the tick after ``tick`` (0 or less: it is due)."""
        return self.t0 + (tick + 1) * self.TICK - time.perf_counter()


class BlockingPublisher:
    """One event per request, each answer awaited, from a thread of its own over a
    blocking socket: what ``curl`` in a loop or a client in another process does.

    In the load generator's event loop, each answer waited for the loop's turn over
    every reader: at 1,000 streams, one write to all of them is ~3 ms of reading here,
    so the publisher sent about one request per server sweep, and the figure was the
    load generator's. This thread waits in ``recv`` with the GIL released and, with the
    interpreter's switch interval shortened while it runs, gets the GIL back within a
    fraction of a millisecond of its answer.
    """

    SWITCH_INTERVAL = 0.0002  # seconds; CPython's default is 0.005

    def __init__(self, target: Target, channel: str) -> None:
        self.target = target
        self.channel = channel
        self.sent = 0
        self._sock = socket.create_connection((target.host, target.port), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._answers = self._sock.makefile("rb")

    def close(self) -> None:
        self._answers.close()
        self._sock.close()

    async def run_steady(self, rate: int, seconds: float, behind: Callable[[], bool]) -> bool:
        """Publish ``rate`` events/s for ``seconds`` from a thread; True when stopped
        early because ``behind()`` said the server fell too far behind."""
        switch = sys.getswitchinterval()
        sys.setswitchinterval(self.SWITCH_INTERVAL)
        try:
            return await asyncio.to_thread(self._steady, rate, seconds, behind)
        finally:
            sys.setswitchinterval(switch)

    def _steady(self, rate: int, seconds: float, behind: Callable[[], bool]) -> bool:
        steady = Steady(rate, seconds)
        for i in steady.ticks():
            if steady.over():
                return False
            if behind():
                return True
            # Bounded: `behind` stops the run 2 s of events behind.
            for _ in range(steady.due(self.sent)):
                self.publish_one()
                if steady.over():
                    break
            if (delay := steady.until_next(i)) > 0:
                time.sleep(delay)
        return False

    def publish_one(self) -> None:
        """POST one event stamped now and read the answer."""
        data = {"t": time.time(), "n": self.sent}
        event = {"channel": self.channel, "type": "tick", "data": data}
        self.sent += 1
        target = self.target
        body = one_event_body(target, self.channel, event)
        self._sock.sendall(request_head(target, self.channel, len(body)) + body)
        status = int(self._answers.readline().split(b" ", 2)[1])
        lines: list[bytes] = []
        for _ in range(100):  # header lines
            line = self._answers.readline()
            if line in (b"\r\n", b""):
                break
            lines.append(line)
        length, chunked = body_framing(lines)
        if chunked:
            for _ in range(10_000):
                size = int(self._answers.readline().strip().split(b";")[0], 16)
                self._answers.read(size + 2)
                if size == 0:
                    break
        else:
            self._answers.read(length)
        if status not in (200, 201, 202):
            raise RuntimeError(f"{target.name}: publish answered {status}")


def body_framing(header_lines: Iterable[bytes]) -> tuple[int, bool]:
    """(Content-Length, chunked) of an answer, from its header lines."""
    length, chunked = 0, False
    for line in header_lines:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return length, chunked


def one_event_body(target: Target, channel: str, event: dict[str, Any]) -> bytes:
    """The body of a request that publishes ``event`` alone: the peer's own framing, or
    the event as one JSON object."""
    if target.publish_body:
        return target.publish_body(channel, [event])
    return json.dumps(event).encode()


def request_head(target: Target, channel: str, length: int) -> bytes:
    """The head of a publish request of ``length`` body bytes."""
    path = target.publish_path.format(channel=channel)
    extra = "".join(f"{k}: {v}\r\n" for k, v in target.headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: {target.host}:{target.port}\r\n"
        f"Content-Type: application/json\r\n{extra}Content-Length: {length}\r\n\r\n"
    ).encode()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
    return ordered[rank]
