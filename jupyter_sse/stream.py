"""One SSE connection's write side, and the set of all open connections.

A connection is what brokers deliver to. It batches the frames of one loop tick into
one write, keeps at most ``client_buffer_bytes`` waiting for the socket, and cuts a
client that cannot keep up: the client resumes by cursor, the server's memory stays
bounded whatever the client does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Protocol

from tornado.iostream import StreamClosedError

from .protocol import PING


class _Writer(Protocol):
    """What a connection needs of a tornado ``RequestHandler``."""

    def write(self, chunk: bytes) -> None: ...

    def flush(self) -> asyncio.Future[None]: ...


class Connection:
    """The write side of one ``sse/stream`` response.

    ``deliver`` never blocks: frames wait in a list until the next loop tick, then go
    out as one write. While that write is in flight new frames wait again, so there is
    at most one flush per connection at a time.
    """

    __slots__ = (
        "_abort",
        "_closed",
        "_flushing",
        "_limit",
        "_loop",
        "_pending",
        "_queue",
        "_scheduled",
        "_writer",
        "close_reason",
        "patterns",
        "user",
    )

    def __init__(
        self,
        writer: _Writer,
        patterns: Sequence[str],
        *,
        user: str,
        limit: int,
        abort: Callable[[], None],
    ) -> None:
        self.patterns = tuple(patterns)
        self.user = user
        self.close_reason: str | None = None
        self._writer = writer
        self._limit = limit
        self._abort = abort
        self._queue: list[bytes] = []
        self._pending = 0  # bytes queued here plus bytes handed to tornado and not yet sent
        self._flushing = False
        self._scheduled = False
        self._loop = asyncio.get_running_loop()
        self._closed: asyncio.Future[None] = self._loop.create_future()

    def deliver(self, frame: bytes) -> None:
        """Queue ``frame`` for this client; cut the client if its backlog is over the limit."""
        if self._closed.done():
            return
        self._queue.append(frame)
        self._pending += len(frame)
        if self._pending > self._limit:
            self.close("slow client: send buffer full; resume with the last event id")
            self._abort()
            return
        if not self._scheduled and not self._flushing:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if self._closed.done() or not self._queue:
            return
        chunk = b"".join(self._queue)
        self._queue.clear()
        self._flushing = True
        try:
            self._writer.write(chunk)
            future = self._writer.flush()
        except StreamClosedError:
            self.close("client went away")
            return
        future.add_done_callback(partial(self._flushed, sent=len(chunk)))

    def _flushed(self, future: asyncio.Future[None], *, sent: int) -> None:
        self._flushing = False
        self._pending -= sent
        if future.cancelled() or future.exception() is not None:
            # Retrieved here so asyncio does not log a "never retrieved" error per client.
            self.close("client went away")
            return
        if self._queue and not self._closed.done():
            self._flush()

    def close(self, reason: str) -> None:
        """Mark the connection finished; ``wait_closed`` returns. Idempotent."""
        if not self._closed.done():
            self.close_reason = reason
            self._queue.clear()
            self._closed.set_result(None)

    @property
    def closed(self) -> bool:
        return self._closed.done()

    async def wait_closed(self) -> None:
        """Return when the client left, was cut, or the server is stopping."""
        await asyncio.shield(self._closed)

    @property
    def buffered(self) -> int:
        """Bytes this connection holds that the client has not received yet."""
        return self._pending


class Connections:
    """Every open stream of this server: limits, heartbeats and shutdown act on it."""

    def __init__(self) -> None:
        self._open: set[Connection] = set()
        self._per_user: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Connection]:
        return iter(tuple(self._open))

    def of_user(self, user: str) -> int:
        return self._per_user.get(user, 0)

    def add(self, conn: Connection) -> None:
        self._open.add(conn)
        self._per_user[conn.user] = self._per_user.get(conn.user, 0) + 1

    def discard(self, conn: Connection) -> None:
        if conn in self._open:
            self._open.remove(conn)
            left = self._per_user[conn.user] - 1
            if left:
                self._per_user[conn.user] = left
            else:
                del self._per_user[conn.user]

    def ping(self) -> None:
        """Send a heartbeat comment to every connection, so proxies keep idle streams open."""
        for conn in self._open:
            conn.deliver(PING)

    def close_all(self, reason: str) -> None:
        for conn in tuple(self._open):
            conn.close(reason)
