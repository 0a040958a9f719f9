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

Memory per idle stream is what a server with 100,000 of them pays 100,000 times
(measured with tracemalloc at 5,000 streams opened through one viewer link):

- The stream holds its socket, not tornado's ``IOStream``: two deques, write futures
  and a read buffer came to ~2.6 KB per stream, for a connection that only writes.
  It watches the socket for the client leaving itself (``loop.add_reader``), and for
  room to write only while the socket is full.
- Who the stream is for (the limits key, the viewer link, the person, the patterns)
  is a ``StreamScope``, shared by every stream of one viewer link and patterns: a
  crowd on one link holds one copy of the link, and one expiry timer.
- The end of a stream is told to one callback shared by all (``EventStreams``), not
  a future, a closure and its cells per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.platform.asyncio import BaseAsyncIOLoop

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
# A stream's client sends nothing after its request; what it sends anyway is read this
# much at a time and dropped, so it costs no memory.
DISCARD_BYTES: Final = 4096


def http_chunk(frames: Sequence[bytes], size: int) -> bytes:
    """``frames`` (``size`` bytes in all) as one HTTP/1.1 chunk, copied once."""
    return b"".join((b"%x\r\n" % size, *frames, CRLF))


def selector_loop() -> asyncio.AbstractEventLoop:
    """The loop that watches sockets: the running one, or on Windows' proactor loop the
    selector thread that tornado runs beside it (which has ``add_reader``)."""
    loop = IOLoop.current()
    if isinstance(loop, BaseAsyncIOLoop):
        return loop.selector_loop
    return asyncio.get_running_loop()


def take_socket(stream: IOStream) -> socket.socket:
    """The socket of ``stream`` (detached from its HTTP connection, with nothing left to
    write), out of tornado's hands: from now on only an ``EventStream`` reads and writes
    it, and the ``IOStream`` (with its buffers) can go."""
    sock = stream.socket
    # The IOStream watches the socket for reads while idle; the EventStream does that
    # from now on, and one socket can have only one reader on the loop.
    stream.io_loop.remove_handler(sock)
    return sock


class StreamScope:
    """Who a stream is for and what it reads.

    ``user`` is the caller's limits key; ``credential`` a viewer's link, checked again
    when the server secret rotates; ``identity`` who the caller is for people (presence
    shows it: never a secret); ``expires`` when the link ends (epoch seconds): its
    streams are closed then, by one timer for all of them.

    The streams of one viewer link with the same patterns share one (``EventStreams.add``
    finds the one in use): the link decides who they are for, so a crowd on one link
    holds one copy of it. A Jupyter user's stream keeps its own: jupyter_server may see
    each token request as a different person, and a key to find a shared one by would
    cost such a stream more than the scope itself.
    """

    __slots__ = ("count", "credential", "expires", "identity", "patterns", "timer", "user")

    def __init__(
        self,
        patterns: Sequence[str],
        *,
        user: str,
        credential: str | None = None,
        identity: Author | None = None,
        expires: float | None = None,
    ) -> None:
        self.patterns = tuple(patterns)
        self.user = user
        self.credential = credential
        self.identity = identity
        self.expires = expires
        self.count = 0  # open streams that use this scope
        self.timer: asyncio.TimerHandle | None = None  # ends its streams with the link


class EventStream:
    """The write side of one ``sse/stream`` response, on its own socket.

    ``deliver`` never blocks: frames wait in a list until the end of the tick, then go
    out as one ``send`` straight to the socket. ``deliver_now`` is for the frames a tick
    ends with (a fan-out group's): when nothing else waits, they are written at once, in
    the chunk the group framed for all its members. Only what the socket does not take
    at once waits here (a view of it, not a copy), sent as the socket drains; new frames
    wait in the list meanwhile, so there is at most one write in flight per stream.

    ``sock`` must have nothing left to write before it (the response headers are out).
    ``chunked``: frame the body with HTTP/1.1 chunked encoding (an HTTP/1.0 body is
    delimited by closing the connection instead). ``scope``: who the stream is for
    (``StreamScope``); ``resumed`` whether it picks up from a cursor (so no snapshot
    told it who watches). ``on_close`` is called once, with the stream, when it ends,
    whoever ends it.

    Memory: at most ``limit`` bytes of live frames, plus the first-frame batch in flight
    (``FIRST_BATCH_BYTES``, or one frame if a single one is larger).
    """

    __slots__ = (
        "_chunked",
        "_first_inflight",
        "_inflight",
        "_limit",
        "_on_close",
        "_pending",
        "_queue",
        "_rest",
        "_scheduled",
        "_sock",
        "_source",
        "_tick",
        "close_reason",
        "resumed",
        "scope",
    )

    def __init__(
        self,
        sock: socket.socket,
        scope: StreamScope,
        *,
        limit: int,
        chunked: bool,
        tick: Tick,
        on_close: Callable[[EventStream], None],
        resumed: bool = False,
    ) -> None:
        self.scope = scope
        self.resumed = resumed
        self.close_reason: str | None = None  # set once the stream has ended
        self._sock = sock
        self._chunked = chunked
        self._limit = limit
        self._tick = tick
        self._on_close = on_close
        self._source: Iterator[bytes] | None = None  # first frames not pulled yet
        # None while nothing waits: an idle stream holds no list.
        self._queue: list[bytes] | None = None
        self._pending = 0  # bytes queued here plus bytes of `_rest` not yet sent
        self._inflight = 0  # bytes of the write in flight (`_rest` when it began)
        self._first_inflight = 0  # of which first frames: they do not count against `limit`
        self._rest: memoryview | None = None  # what the socket has not taken yet
        self._scheduled = False
        # Told as soon as the socket closes, not at the next write: the subscription
        # goes away with the client. Registered in a fresh context: the loop keeps a
        # copy of the context for the life of the stream, and the request's would keep
        # the whole request (handler, headers, cookies) alive with it.
        contextvars.Context().run(selector_loop().add_reader, sock.fileno(), self._readable)

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.scope.patterns

    @property
    def user(self) -> str:
        return self.scope.user

    @property
    def credential(self) -> str | None:
        return self.scope.credential

    @property
    def identity(self) -> Author | None:
        return self.scope.identity

    def open(self, first: Iterable[bytes]) -> None:
        """Begin with ``first`` (a replay, or snapshots), pulled as the socket takes it.

        Frames delivered meanwhile wait behind it. A second call (a broker restarting
        the stream) continues after what is left of the first.
        """
        if self.close_reason is not None:
            return
        # Frames delivered before (the `retry:` line; live frames of a stream that starts
        # over) go first, in the order they came.
        queued, self._queue = self._queue or [], None
        self._pending -= sum(map(len, queued))
        self._source = itertools.chain(self._source or (), queued, first)
        if not self._inflight:
            self._pump()

    def deliver(self, frame: bytes) -> None:
        """Queue ``frame`` for this client; cut the client if its backlog is over the limit."""
        if self.close_reason is not None:
            return
        if self._queue is None:
            self._queue = [frame]
        else:
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
        if self._queue or self._inflight or self._source is not None or self.close_reason:
            self.deliver(frames)
            return
        self._pending += len(frames)
        self._write(chunk if self._chunked else frames, len(frames))

    def flush(self) -> None:
        """Write what is queued (the tick calls this at its end)."""
        self._scheduled = False
        queue = self._queue
        if not queue or self._inflight or self._source is not None or self.close_reason:
            return  # a write in flight (or the first frames) flushes again when done
        self._queue = None
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
        while self._source is not None and not self._inflight and self.close_reason is None:
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
        # `data` is `size` bytes of frames (counted in `_pending` already), maybe framed;
        # nothing is in flight (every caller checks).
        try:
            sent = self._sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._finish("client went away", False)
            return
        COUNTS.bytes_sent += size
        if sent == len(data):
            self._pending -= size
            return
        # The socket is full: the rest goes as the client reads (`_writable`). New frames
        # wait in `_queue` meanwhile. A view, not a slice: the rest is not copied.
        rest = self._rest = memoryview(data)[sent:]
        self._inflight = len(rest)
        if first:
            self._first_inflight = self._inflight
        self._pending += len(rest) - size
        # A fresh context, as for the reader: a write may begin inside a request.
        contextvars.Context().run(selector_loop().add_writer, self._sock.fileno(), self._writable)

    def _writable(self) -> None:
        rest = self._rest
        if rest is None:
            return
        try:
            sent = self._sock.send(rest)
        except BlockingIOError:
            return
        except OSError:
            self._finish("client went away", False)
            return
        if sent < len(rest):
            self._rest = rest[sent:]
            return
        selector_loop().remove_writer(self._sock.fileno())
        self._rest = None
        self._pending -= self._inflight
        self._inflight = self._first_inflight = 0
        if self._source is not None:
            self._pump()
        elif self._queue:
            self.flush()

    def _readable(self) -> None:
        # The client closed (or reset) the connection; anything it sends is dropped.
        try:
            data = self._sock.recv(DISCARD_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._finish("client went away", False)

    def close(self, reason: str) -> None:
        """Finish the stream and close the socket; ``on_close`` runs. Idempotent."""
        self._finish(reason, True)

    def _finish(self, reason: str, graceful: bool) -> None:
        if self.close_reason is not None:
            return
        self.close_reason = reason
        # Nothing is held for the client any more.
        self._queue = None
        self._source = None
        self._pending = self._inflight = self._first_inflight = 0
        sock = self._sock
        loop = selector_loop()
        fd = sock.fileno()
        if fd >= 0:
            loop.remove_reader(fd)
            if self._rest is not None:
                loop.remove_writer(fd)
            if graceful and self._chunked and self._rest is None:
                # End the body properly so a client can tell a finished stream from a cut
                # one; whatever the socket does not take at once is not waited for.
                with contextlib.suppress(OSError):
                    sock.send(LAST_CHUNK)
        self._rest = None
        sock.close()
        self._on_close(self)

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    @property
    def buffered(self) -> int:
        """Bytes this connection holds that the client has not received yet."""
        return self._pending


class EventStreams:
    """Every open stream of this server: limits, heartbeats, link expiry and shutdown act
    on it.

    ``watch`` registers a callback told of each stream that opens (``True``) or closes
    (``False``): the system channel samples only while a stream covers it. ``release``
    is called with each stream that ends (the broker's ``unsubscribe``); ``on_close`` is
    what the streams call then (one callable for all of them).
    """

    def __init__(
        self, tick: Tick, release: Callable[[EventStream], None] = lambda conn: None
    ) -> None:
        self._open: set[EventStream] = set()
        self._per_user: dict[str, int] = {}
        self._scopes: dict[tuple[str, tuple[str, ...]], StreamScope] = {}  # of viewer links
        self._watchers: list[Callable[[EventStream, bool], None]] = []
        self._release = release
        self.tick = tick
        # One bound method, made once: every stream holds the same object.
        self.on_close: Callable[[EventStream], None] = self._ended

    def watch(self, callback: Callable[[EventStream, bool], None]) -> None:
        """Call ``callback(stream, opened)`` whenever a stream is added or discarded."""
        self._watchers.append(callback)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[EventStream]:
        return iter(tuple(self._open))

    def of_user(self, user: str) -> int:
        return self._per_user.get(user, 0)

    @property
    def scopes(self) -> int:
        """Distinct scopes of the open viewer streams (one per link and patterns)."""
        return len(self._scopes)

    def add(self, conn: EventStream) -> None:
        """Count ``conn`` as open; it shares the scope of the open streams like it."""
        if conn.closed:
            return  # it ended before it was counted: nothing to undo
        scope = conn.scope
        if scope.credential is not None:
            scope = conn.scope = self._scopes.setdefault((scope.credential, scope.patterns), scope)
        if not scope.count and scope.expires is not None:
            # A viewer's streams end with its link, so an expired link stops showing data
            # at once; a reconnect is then refused and the page says it expired.
            scope.timer = asyncio.get_running_loop().call_later(
                scope.expires - time.time(), self._expire, scope, context=contextvars.Context()
            )
        scope.count += 1
        self._open.add(conn)
        self._per_user[scope.user] = self._per_user.get(scope.user, 0) + 1
        COUNTS.stream_opened(scope.credential is not None)
        for watcher in self._watchers:
            watcher(conn, True)

    def discard(self, conn: EventStream) -> None:
        if conn in self._open:
            self._open.remove(conn)
            scope = conn.scope
            COUNTS.stream_closed(scope.credential is not None, conn.close_reason)
            left = self._per_user[scope.user] - 1
            if left:
                self._per_user[scope.user] = left
            else:
                del self._per_user[scope.user]
            scope.count -= 1
            if not scope.count:
                if scope.timer is not None:
                    scope.timer.cancel()
                    scope.timer = None
                if scope.credential is not None:
                    del self._scopes[(scope.credential, scope.patterns)]
            for watcher in self._watchers:
                watcher(conn, False)

    def _ended(self, conn: EventStream) -> None:
        # The subscription goes away with the connection, whoever ends it.
        self._release(conn)
        self.discard(conn)

    def _expire(self, scope: StreamScope) -> None:
        scope.timer = None
        for conn in tuple(self._open):
            if conn.scope is scope:
                conn.close("viewer token expired")

    def ping(self) -> None:
        """Send a heartbeat comment to every stream, so proxies keep idle ones open."""
        # A tuple: a stream whose backlog is full is cut (and leaves the set) right here.
        for conn in tuple(self._open):
            conn.deliver(PING)

    def close_viewers(self, still_valid: Callable[[str], bool], reason: str) -> int:
        """Close every viewer stream whose link ``still_valid`` refuses; how many closed.

        Each link is checked once, however many streams it has open.
        """
        refused = {
            scope
            for scope in self._scopes.values()
            if scope.credential is not None and not still_valid(scope.credential)
        }
        closed = 0
        for conn in tuple(self._open):
            if conn.scope in refused:
                conn.close(reason)
                closed += 1
        return closed

    def close_all(self, reason: str) -> None:
        for conn in tuple(self._open):
            conn.close(reason)
