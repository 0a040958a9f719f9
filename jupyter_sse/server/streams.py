"""The write side of one ``sse/stream`` response (``EventStream``), and the set of all
open ones (``EventStreams``).

An event stream is what brokers deliver to. It owns the socket of its response once the
headers are out (taken over from tornado's HTTP layer), writes the frames of one loop
tick in one write (``tick``), keeps at most ``client_buffer_bytes`` waiting for the
socket, and cuts a client that cannot keep up: the client resumes by cursor, the
server's memory stays bounded whatever the client does.

Its first frames (a replay, or snapshots) can be far larger than that bound, so they
are not queued: the stream pulls them from the broker's iterator as the socket takes
them, a batch at a time (``open``). Live frames that arrive meanwhile wait behind them,
within the bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final

from tornado.iostream import IOStream

from ..wire.events import Author
from ..wire.sse import PING
from .metrics import COUNTS
from .tick import Tick

CRLF: Final = b"\r\n"
LAST_CHUNK: Final = b"0\r\n\r\n"
FIRST_BATCH_BYTES: Final = 256 * 1024  # first frames pulled per write, at most (and the limit)
# First frames written in one loop callback before the loop gets a turn: a client that
# reads as fast as the server writes must not hold the loop for its whole replay.
PUMP_BUDGET_BYTES: Final = 4 * 1024 * 1024


def http_chunk(frames: Sequence[bytes], size: int) -> bytes:
    """``frames`` (``size`` bytes in all) as one HTTP/1.1 chunk, copied once."""
    return b"".join((b"%x\r\n" % size, *frames, CRLF))


class EventStream:
    """The write side of one ``sse/stream`` response, on its own socket.

    ``deliver`` never blocks: frames wait in a list until the end of the tick, then go
    out as one ``send`` straight to the socket. ``deliver_now`` is for the frames a tick
    ends with (a fan-out group's): when nothing else waits, they are written at once, in
    the chunk the group framed for all its members. Only what the socket does not take
    at once goes to the ``IOStream``'s buffer; while that drains, new frames wait here,
    so there is at most one write in flight per stream.

    ``chunked``: frame the body with HTTP/1.1 chunked encoding (an HTTP/1.0 body is
    delimited by closing the connection instead). ``user`` is the caller's limits key;
    ``credential`` a viewer's link, checked again when the server secret rotates;
    ``identity`` who the caller is for people (presence shows it: never a secret), and
    ``resumed`` whether the stream picks up from a cursor (so no snapshot told it who
    watches).

    Memory: at most ``limit`` bytes of live frames, plus the first-frame batch in flight
    (``FIRST_BATCH_BYTES``, or one frame if a single one is larger).
    """

    __slots__ = (
        "_chunked",
        "_closed",
        "_first_inflight",
        "_headers_out",
        "_inflight",
        "_limit",
        "_pending",
        "_queue",
        "_scheduled",
        "_source",
        "_stream",
        "_tick",
        "close_reason",
        "credential",
        "identity",
        "patterns",
        "resumed",
        "user",
    )

    def __init__(
        self,
        stream: IOStream,
        patterns: Sequence[str],
        *,
        user: str,
        limit: int,
        chunked: bool,
        tick: Tick,
        credential: str | None = None,
        identity: Author | None = None,
        resumed: bool = False,
    ) -> None:
        self.patterns = tuple(patterns)
        self.user = user
        self.credential = credential
        self.identity = identity
        self.resumed = resumed
        self.close_reason: str | None = None
        self._stream = stream
        self._chunked = chunked
        self._limit = limit
        self._tick = tick
        self._source: Iterator[bytes] | None = None  # first frames not pulled yet
        self._queue: list[bytes] = []
        self._pending = 0  # bytes queued here plus bytes handed to the IOStream, not yet sent
        self._inflight = 0  # bytes handed to the IOStream and not yet sent
        self._first_inflight = 0  # of which first frames: they do not count against `limit`
        # The headers went out through the IOStream; once its buffer was seen empty, only
        # this connection's slow path fills it again, and `_inflight` tracks that.
        self._headers_out = False
        self._scheduled = False
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Called as soon as the socket closes, not at the next write: the subscription
        # goes away with the client. (The IOStream watches for it while idle.)
        stream.set_close_callback(self._lost)
        if stream.closed():
            self._lost()

    def open(self, first: Iterable[bytes]) -> None:
        """Begin with ``first`` (a replay, or snapshots), pulled as the socket takes it.

        Frames delivered meanwhile wait behind it. A second call (a broker restarting
        the stream) continues after what is left of the first.
        """
        if self._closed.done():
            return
        # Frames delivered before (the `retry:` line; live frames of a stream that starts
        # over) go first, in the order they came.
        queued, self._queue = self._queue, []
        self._pending -= sum(map(len, queued))
        self._source = itertools.chain(self._source or (), queued, first)
        if not self._inflight:
            self._pump()

    def deliver(self, frame: bytes) -> None:
        """Queue ``frame`` for this client; cut the client if its backlog is over the limit."""
        if self._closed.done():
            return
        self._queue.append(frame)
        self._pending += len(frame)
        if self._pending - self._first_inflight > self._limit:
            # Closing the socket drops whatever the slow client had not read yet; it
            # resumes from its last id, which is cheaper than holding its backlog here.
            self._finish("slow client: send buffer full; resume with the last event id", False)
            return
        if not self._scheduled and self._source is None:
            self._scheduled = True
            self._tick.defer(self)

    def deliver_now(self, frames: bytes, chunk: bytes) -> None:
        """Write ``frames`` at once if nothing is waiting to go before them, else queue them.

        Fan-out groups call this once per tick with the tick's frames and the same
        frames framed as one HTTP/1.1 chunk (``http_chunk``, built once per group): the
        viewer then costs one system call, and no second pass over every stream.
        """
        if self._queue or self._inflight or self._source is not None or self._closed.done():
            self.deliver(frames)
            return
        self._pending += len(frames)
        self._write(chunk if self._chunked else frames, len(frames))

    def flush(self) -> None:
        """Write what is queued (the tick calls this at its end)."""
        self._scheduled = False
        queue = self._queue
        if not queue or self._inflight or self._source is not None or self._closed.done():
            return  # a write in flight (or the first frames) flushes again when done
        self._queue = []
        size = sum(map(len, queue))
        if self._chunked:
            self._write(http_chunk(queue, size), size)
        else:
            self._write(queue[0] if len(queue) == 1 else b"".join(queue), size)

    def _pump(self) -> None:
        """Write first frames until the socket is full, they are all out, or the budget
        of this loop callback is spent (then the loop gets a turn first)."""
        batch_bytes = min(self._limit, FIRST_BATCH_BYTES)
        budget = PUMP_BUDGET_BYTES
        while self._source is not None and not self._inflight and not self._closed.done():
            if budget <= 0:
                asyncio.get_running_loop().call_soon(self._pump, context=contextvars.Context())
                return
            batch: list[bytes] = []
            size = 0
            for frame in self._source:
                batch.append(frame)
                size += len(frame)
                if size >= batch_bytes:
                    break
            else:
                self._source = None  # all of it pulled
            if batch:
                budget -= size
                self._pending += size
                data = http_chunk(batch, size) if self._chunked else b"".join(batch)
                self._write(data, size, first=True)
        if self._source is None and self._queue and not self._inflight:
            self.flush()

    def _write(self, data: bytes, size: int, *, first: bool = False) -> None:
        # `data` is `size` bytes of frames (counted in `_pending` already), maybe framed.
        stream = self._stream
        sent = 0
        if self._headers_out or not stream.writing():
            self._headers_out = True
            try:
                sent = stream.socket.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._finish("client went away", False)
                return
        COUNTS.bytes_sent += size
        if sent == len(data):
            self._pending -= size
            return
        # The socket is full: the IOStream sends the rest as the client reads, and
        # tells when it is done. New frames wait in `_queue` meanwhile. A view, not a
        # slice: the rest is not copied (the IOStream keeps large buffers as they are).
        rest = memoryview(data)[sent:]
        self._inflight = len(rest)
        if first:
            self._first_inflight = self._inflight
        self._pending += len(rest) - size
        stream.write(rest).add_done_callback(self._written)

    def _written(self, future: asyncio.Future[None]) -> None:
        self._pending -= self._inflight
        self._inflight = self._first_inflight = 0
        if future.cancelled() or future.exception() is not None:
            # Retrieved here so asyncio does not log a "never retrieved" error per client.
            self._finish("client went away", False)
        elif self._source is not None:
            self._pump()
        elif self._queue:
            self.flush()

    def _lost(self) -> None:
        self._finish("client went away", False)

    def close(self, reason: str) -> None:
        """Finish the stream and close the socket; close callbacks run. Idempotent."""
        self._finish(reason, True)

    def _finish(self, reason: str, graceful: bool) -> None:
        if self._closed.done():
            return
        self.close_reason = reason
        self._queue.clear()
        self._source = None
        self._closed.set_result(None)
        stream = self._stream
        if stream.closed():
            return
        if graceful and self._chunked and not self._inflight and not stream.writing():
            # End the body properly so a client can tell a finished stream from a cut
            # one; whatever the socket does not take at once is not waited for.
            with contextlib.suppress(OSError):
                stream.socket.send(LAST_CHUNK)
        stream.close()

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the connection is closed (soon after, if it already is)."""
        self._closed.add_done_callback(lambda _: callback(), context=contextvars.Context())

    @property
    def closed(self) -> bool:
        return self._closed.done()

    @property
    def buffered(self) -> int:
        """Bytes this connection holds that the client has not received yet."""
        return self._pending


class EventStreams:
    """Every open stream of this server: limits, heartbeats and shutdown act on it.

    ``watch`` registers a callback told of each stream that opens (``True``) or closes
    (``False``): the system channel samples only while a stream covers it.
    """

    def __init__(self, tick: Tick) -> None:
        self._open: set[EventStream] = set()
        self._per_user: dict[str, int] = {}
        self._watchers: list[Callable[[EventStream, bool], None]] = []
        self.tick = tick

    def watch(self, callback: Callable[[EventStream, bool], None]) -> None:
        """Call ``callback(stream, opened)`` whenever a stream is added or discarded."""
        self._watchers.append(callback)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[EventStream]:
        return iter(tuple(self._open))

    def of_user(self, user: str) -> int:
        return self._per_user.get(user, 0)

    def add(self, conn: EventStream) -> None:
        self._open.add(conn)
        self._per_user[conn.user] = self._per_user.get(conn.user, 0) + 1
        COUNTS.stream_opened(conn.credential is not None)
        for watcher in self._watchers:
            watcher(conn, True)

    def discard(self, conn: EventStream) -> None:
        if conn in self._open:
            self._open.remove(conn)
            COUNTS.stream_closed(conn.credential is not None, conn.close_reason)
            left = self._per_user[conn.user] - 1
            if left:
                self._per_user[conn.user] = left
            else:
                del self._per_user[conn.user]
            for watcher in self._watchers:
                watcher(conn, False)

    def ping(self) -> None:
        """Send a heartbeat comment to every stream, so proxies keep idle ones open."""
        for conn in self._open:
            conn.deliver(PING)

    def close_viewers(self, still_valid: Callable[[str], bool], reason: str) -> int:
        """Close every viewer stream whose link ``still_valid`` refuses; how many closed."""
        closed = 0
        for conn in tuple(self._open):
            if conn.credential is not None and not still_valid(conn.credential):
                conn.close(reason)
                closed += 1
        return closed

    def close_all(self, reason: str) -> None:
        for conn in tuple(self._open):
            conn.close(reason)
