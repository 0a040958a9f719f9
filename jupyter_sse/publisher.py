"""The kernel-side publisher: check now, send later, never block the caller.

``publish`` validates and encodes an event on the caller's thread (so a mistake raises
where it was made) and puts it in a bounded queue. One daemon thread takes batches off
the queue and hands them to the transport, retrying while the server is away. The
queue holds at most ``max_queue`` events: when the server cannot keep up, the oldest
are dropped and counted, because a training loop must never wait on a dashboard.
"""

from __future__ import annotations

import logging
import math
import os
import random
import secrets
import threading
import time
import warnings
import weakref
from collections import OrderedDict, deque
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypedDict

from .errors import SSEDeliveryError, SSEError, SSEValueError
from .protocol import check_channel, check_data, check_type, dumps, json_size
from .transport import BatchRefused, Rejected, RetryLater, Transport, discover
from .values import finite_metric

if TYPE_CHECKING:
    from .channel import Channel

log = logging.getLogger("jupyter_sse")

MAX_EVENT_BYTES: Final = 262_144  # the server's default max_event_bytes: refuse early
MAX_RETRY_AFTER: Final = 60.0  # seconds: a longer Retry-After is taken as this
EXIT_FLUSH_TIMEOUT: Final = 2.0  # seconds the default publisher may delay interpreter exit
BACKOFF_FIRST: Final = 0.05  # seconds before the first retry

# Kept latest-only while queued: a progress bar or a badge needs no history, and a
# server that was away for a minute should get one value per key, not thousands.
COALESCED_TYPES: Final = frozenset({"progress", "status"})


class Stats(TypedDict):
    """What ``stats()`` reports about a publisher since it was created."""

    queued: int  # accepted and not yet delivered (in the queue or being sent)
    sent: int  # delivered to the stream
    dropped: int  # discarded unsent: queue full, or still queued at close
    failed: int  # refused by the server (bad event, token refused)
    last_error: str | None  # the latest delivery problem, in words
    transport: str | None  # where events go (a URL without secrets); None before first use


class _Closed(Exception):
    """The publisher was closed while a batch waited for a retry."""


class Publisher:
    """A queue of events and the thread that delivers them.

    ``transport`` defaults to the one the environment describes, chosen at the first
    ``publish`` (see ``jupyter_sse.transport``). ``linger`` is how long (seconds) the
    sender waits for more events before it sends a batch; a batch is at most
    ``max_batch`` events and ``max_batch_bytes`` bytes.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        max_queue: int = 100_000,
        linger: float = 0.01,
        max_batch: int = 1000,
        max_batch_bytes: int = 1 << 20,
        max_event_bytes: int = MAX_EVENT_BYTES,
        backoff_cap: float = 5.0,
    ) -> None:
        if min(max_queue, max_batch, max_batch_bytes, max_event_bytes) < 1:
            raise SSEValueError("max_queue, max_batch and the byte limits must be at least 1")
        self._transport = transport
        self.max_queue = max_queue
        self.linger = linger
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes
        self.max_event_bytes = max_event_bytes
        self.backoff_cap = backoff_cap
        self._closed = False
        self._reset()
        _live.add(self)

    def _reset(self) -> None:
        # Everything a forked child must not share with its parent.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        # The queue length at which publish wakes the sender: 1 while it waits for a
        # first event, max_batch while it lingers, never while it sends.
        self._wake_at: float = math.inf
        # Ordered by ordinal. Keyed by ordinal, or by (channel, type, key) for the
        # coalesced types so that a newer value replaces the queued one in O(1).
        self._queue: OrderedDict[object, tuple[int, bytes]] = OrderedDict()
        # The random prefix keeps ids unique across processes: the server drops an event
        # whose (channel, id) it has seen, which is what makes a retry safe.
        self._prefix = secrets.token_hex(4).encode()
        self._ordinal = 0  # of the newest accepted event
        self._done = 0  # every event up to this ordinal was delivered or given up on
        self._inflight = 0
        self._sent = self._dropped = self._failed = 0
        self._reported = (0, 0)  # (dropped, failed) that a flush() already raised about
        self._last_error: str | None = None
        self._outage = False
        self._flushing = 0
        self._warned_full = False
        self._thread: threading.Thread | None = None

    # --- the caller's side ----------------------------------------------------------

    def publish(self, channel: str, type: str, data: Any) -> None:
        """Queue one event; returns at once. Raises ``SSEValueError`` if it cannot be sent."""
        check_channel(channel)
        check_type(type)
        if type == "metric":
            data = finite_metric(data)
        check_data(type, data)
        key = (channel, type, data["key"]) if type in COALESCED_TYPES else None
        self._enqueue(channel, type, dumps(data), key, stacklevel=4)

    def _enqueue(
        self,
        channel: str,
        type: str,
        data_json: str,
        key: tuple[str, str, Any] | None = None,
        *,
        stacklevel: int,
    ) -> None:
        """Queue an event whose names and data were checked and whose data is encoded
        (as ``publish`` and ``Channel`` do); ``key`` coalesces it (``COALESCED_TYPES``).
        ``stacklevel`` makes a full-queue warning point at the user's line."""
        size = json_size(data_json)
        if size > self.max_event_bytes:
            raise SSEValueError(
                f"{type} event for {channel!r} is {size} bytes of JSON; the limit is "
                f"{self.max_event_bytes}: publish a summary, or a path or URL to the full result"
            )
        # Names are validated to characters that need no JSON escaping, and data is
        # encoded once: the event is assembled around it (its id is added below).
        head = f'{{"channel":"{channel}","type":"{type}","data":{data_json},"id":"'.encode()
        warn = False
        with self._lock:
            if self._closed:
                raise SSEError("this Publisher is closed; create a new one to publish")
            if self._transport is None:
                self._transport = discover()
            self._ordinal += 1
            ordinal = self._ordinal
            event = head + b'%s-%d"}' % (self._prefix, ordinal)
            queue = self._queue
            if key is not None:
                queue.pop(key, None)
                queue[key] = (ordinal, event)
            else:
                queue[ordinal] = (ordinal, event)
            if len(queue) > self.max_queue:
                queue.popitem(last=False)
                self._dropped += 1
                warn, self._warned_full = not self._warned_full, True
            if len(queue) >= self._wake_at:
                # Only a sender waiting for this many events is woken: notifying on every
                # publish while it sends cost the loop more than the rest of the call.
                self._wake_at = math.inf
                self._cond.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="jupyter-sse-publisher", daemon=True
                )
                self._thread.start()
        if warn:
            # Outside the lock: a warning filter may run arbitrary code, even publish.
            warnings.warn(
                f"jupyter_sse: more than {self.max_queue} events are waiting to be sent to "
                f"{self._where()}; the oldest are being dropped (last error: "
                f"{self._last_error or 'none, the server is slow'}). "
                "sse.stats()['dropped'] counts them.",
                RuntimeWarning,
                stacklevel=stacklevel,
            )

    def channel(self, name: str) -> Channel:
        """A ``Channel`` named ``name`` that publishes through this publisher."""
        from .channel import Channel

        return Channel(name, publisher=self)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event published so far was delivered.

        Raises ``SSEDeliveryError`` after ``timeout`` seconds, or when events published
        since the last ``flush`` were refused or dropped; the message says why.
        """
        if threading.current_thread() is self._thread:
            # The sender itself (e.g. a logging handler that flushes): waiting for itself
            # would never end, and whatever it is in the middle of will finish anyway.
            return
        with self._cond:
            target = self._ordinal
            self._flushing += 1
            self._cond.notify_all()
            try:
                delivered = self._cond.wait_for(lambda: self._done >= target, timeout)
            finally:
                self._flushing -= 1
            dropped, failed = self._dropped - self._reported[0], self._failed - self._reported[1]
            self._reported = (self._dropped, self._failed)
            pending = len(self._queue) + self._inflight
            reason = self._last_error if self._outage else None
        if not delivered:
            raise SSEDeliveryError(
                f"{pending} event(s) not delivered within {timeout:g}s to {self._where()}: "
                f"{reason or 'the server has not answered yet'}"
            )
        problems = (
            [f"{dropped} dropped unsent (over max_queue={self.max_queue})"] if dropped else []
        )
        if failed:
            problems.append(f"{failed} refused ({self._last_error})")
        if problems:
            raise SSEDeliveryError(f"not delivered to {self._where()}: " + "; ".join(problems))

    def stats(self) -> Stats:
        """Counters since this publisher was created (see ``Stats``)."""
        with self._cond:
            return {
                "queued": len(self._queue) + self._inflight,
                "sent": self._sent,
                "dropped": self._dropped,
                "failed": self._failed,
                "last_error": self._last_error,
                "transport": self._transport.description if self._transport else None,
            }

    def close(self, timeout: float = 1.0) -> None:
        """Deliver what is queued for up to ``timeout`` seconds, then stop the thread.

        Events still queued after that are dropped (and counted). Safe to call twice.
        """
        if self._closed:
            return
        if timeout > 0:
            try:
                self.flush(timeout)
            except SSEDeliveryError as e:
                log.warning("jupyter_sse: closing with undelivered events: %s", e)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        with self._cond:
            self._dropped += len(self._queue)
            self._queue.clear()
            self._done = self._ordinal
            self._cond.notify_all()
        if self._transport is not None and (thread is None or not thread.is_alive()):
            self._transport.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(timeout=EXIT_FLUSH_TIMEOUT)

    def _where(self) -> str:
        transport = self._transport
        return transport.description if transport is not None else "(no transport yet)"

    # --- the sender thread ----------------------------------------------------------

    def _run(self) -> None:
        sent = last = 0
        while True:
            # One pass under the lock per request, for the accounts of the batch just
            # sent and the taking of the next: a sender that finds the lock held by the
            # publishing loop must then wait for the GIL again.
            with self._cond:
                if last:
                    self._sent += sent
                    self._inflight = 0
                    self._done = max(self._done, last)
                    self._cond.notify_all()
                batch, last = self._next_batch()
                if not batch:
                    return
                self._inflight = len(batch)
            sent = self._deliver(batch)

    def _next_batch(self) -> tuple[list[bytes], int]:
        # Called with the lock held. Waits for a first event, then up to `linger` for
        # more, so that a burst of events costs one request rather than one each.
        queue, cond = self._queue, self._cond
        while not queue and not self._closed:
            self._wake_at = 1
            cond.wait()
        if self._closed:
            return [], 0
        deadline = time.monotonic() + self.linger
        while not self._flushing and not self._closed and len(queue) < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake_at = self.max_batch
            cond.wait(remaining)
        self._wake_at = math.inf
        batch: list[bytes] = []
        size = last = 0
        while queue and len(batch) < self.max_batch:
            key, (ordinal, event) = queue.popitem(last=False)
            if batch and size + len(event) + 1 > self.max_batch_bytes:
                queue[key] = (ordinal, event)
                queue.move_to_end(key, last=False)
                break
            batch.append(event)
            size += len(event) + 1
            last = ordinal
        return batch, last

    def _deliver(self, batch: list[bytes]) -> int:
        # A refused batch published nothing, so it is split in halves until the events
        # the server refuses are alone: they are dropped, and every other one delivered.
        # Returns how many were delivered; the caller counts them (see _run).
        chunks = deque([batch])
        sent = 0
        while chunks:
            chunk = chunks.popleft()
            try:
                self._send(chunk)
            except BatchRefused as e:
                if len(chunk) > 1:
                    half = len(chunk) // 2
                    chunks.extendleft([chunk[half:], chunk[:half]])
                else:
                    self._give_up(1, str(e))
            except Rejected as e:
                self._give_up(len(chunk) + sum(map(len, chunks)), str(e))
                break
            except _Closed:
                with self._cond:
                    self._dropped += len(chunk) + sum(map(len, chunks))
                break
            else:
                sent += len(chunk)
        return sent

    def _send(self, chunk: Sequence[bytes]) -> None:
        transport = self._transport
        assert transport is not None, "a batch exists only once a transport was chosen"
        attempt = 0
        while True:
            try:
                transport.send(chunk)
            except RetryLater as e:
                delay = (
                    min(e.retry_after, MAX_RETRY_AFTER)
                    if e.retry_after is not None
                    else _backoff(attempt, self.backoff_cap)
                )
                attempt += 1
                self._note_outage(str(e))
                with self._cond:
                    if self._cond.wait_for(lambda: self._closed, delay):
                        raise _Closed from None
                continue
            except (BatchRefused, Rejected):
                raise
            except Exception as e:
                # A bug in a transport must neither kill this thread (publishing would
                # silently stop) nor be retried forever: the chunk is given up on.
                log.exception("jupyter_sse: transport %s failed", transport.description)
                raise Rejected(f"transport error: {type(e).__name__}: {e}") from e
            if self._outage:  # only this thread sets it: no lock needed to read it
                with self._cond:
                    self._outage = False
                log.info("jupyter_sse: delivering to %s again", transport.description)
            return

    def _note_outage(self, message: str) -> None:
        with self._cond:
            self._last_error = message
            first = not self._outage
            self._outage = True
        if first:
            log.warning("jupyter_sse: %s; retrying, events stay queued", message)

    def _give_up(self, count: int, message: str) -> None:
        with self._cond:
            self._failed += count
            self._inflight -= count
            changed = message != self._last_error
            self._last_error = message
        if changed:
            log.error("jupyter_sse: %d event(s) refused: %s", count, message)


# A forked child (e.g. a DataLoader worker) has no sender thread, and a publisher's lock
# may have been held at the fork: each starts afresh there, with a new id prefix. A
# fork hook, rather than an os.getpid() system call on every publish. Weakly held: the
# set keeps no publisher alive.
_live: weakref.WeakSet[Publisher] = weakref.WeakSet()


def _after_fork() -> None:
    for publisher in list(_live):
        publisher._reset()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork either
    os.register_at_fork(after_in_child=_after_fork)


def _backoff(attempt: int, cap: float) -> float:
    # Exponential with jitter: kernels that lost the same server at the same moment
    # must not all come back at the same moment.
    delay = min(cap, BACKOFF_FIRST * 2.0**attempt)
    return delay / 2 + random.uniform(0, delay / 2)
