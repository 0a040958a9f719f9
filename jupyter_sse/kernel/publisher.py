"""The kernel-side publisher: check now, send later, never block the caller.

``publish`` validates and encodes an event on the caller's thread (so a mistake raises
where it was made) and puts it in a bounded queue (``outbox``). One daemon thread
(``sender``) takes batches off the queue and hands them to the transport, retrying
while the server is away. When the server cannot keep up, the oldest events are
dropped and counted, because a training loop must never wait on a dashboard.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
import weakref
from types import TracebackType
from typing import Any, Final, TypedDict

from ..wire.bounds import DEFAULT_MAX_EVENT_BYTES, MAX_BATCH
from ..wire.errors import SSEDeliveryError, SSEError, SSEValueError
from ..wire.events import check_data
from ..wire.json_text import dumps, json_size
from ..wire.names import (
    check_channel,
    check_publishable,
    check_publishable_type,
    is_reserved,
)
from .outbox import Outbox
from .sender import Sender
from .transport.base import Transport
from .transport.discovery import discover
from .values import finite_metric

log = logging.getLogger("jupyter_sse")

EXIT_FLUSH_TIMEOUT: Final = 2.0  # seconds the default publisher may delay interpreter exit

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


class Publisher:
    """A queue of events and the thread that delivers them.

    ``transport`` defaults to the one the environment describes, chosen at the first
    ``publish`` (see ``jupyter_sse.kernel.transport.discovery``). ``linger`` is how
    long (seconds) the sender waits for more events of a burst before it sends a batch
    (an event that finds the sender idle goes at once, and so does a lone one that came
    while a batch was on its way); a batch is at most
    ``max_batch`` events and ``max_batch_bytes`` bytes. Publish to a channel of
    your own publisher with ``sse.channel(name, publisher=pub)``.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        max_queue: int = 100_000,
        linger: float = 0.01,
        max_batch: int = MAX_BATCH,
        max_batch_bytes: int = 1 << 20,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
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
        self._outbox = Outbox(self.max_queue)
        self._sender: Sender | None = None
        self._start_lock = threading.Lock()

    # --- the caller's side ----------------------------------------------------------

    def publish(self, channel: str, type: str, data: Any) -> None:
        """Queue one event; returns at once. Raises ``SSEValueError`` if it cannot be sent."""
        check_channel(channel)
        check_publishable_type(type)
        if type == "metric":
            data = finite_metric(data)
        check_data(type, data)
        key = (channel, type, data["key"]) if type in COALESCED_TYPES else None
        self.enqueue(channel, type, dumps(data), key, stacklevel=4)

    def enqueue(
        self,
        channel: str,
        type: str,
        data_json: str,
        key: tuple[str, str, Any] | None = None,
        *,
        stacklevel: int = 2,
    ) -> None:
        """Queue an event whose names were checked and whose data is already JSON.

        For callers that did ``publish``'s checks themselves, in one pass (``Channel.
        metric``). ``key`` coalesces it with a queued event of the same key (see
        ``COALESCED_TYPES``); ``stacklevel`` makes a full-queue warning point at the
        user's line.
        """
        if is_reserved(channel):
            check_publishable(channel)  # raises: the server alone writes there
        size = json_size(data_json)
        if size > self.max_event_bytes:
            raise SSEValueError(
                f"{type} event for {channel!r} is {size} bytes of JSON; the limit is "
                f"{self.max_event_bytes}: publish a summary, or a path or URL to the full result"
            )
        # Names are validated to characters that need no JSON escaping, and data is
        # encoded once: the event is assembled around it (the outbox adds its id).
        head = f'{{"channel":"{channel}","type":"{type}","data":{data_json},"id":"'.encode()
        if self._sender is None:
            self._start()  # first: a process that cannot publish is told so at once
        if self._outbox.put(head, key):
            # Outside the lock: a warning filter may run arbitrary code, even publish.
            warnings.warn(
                f"jupyter_sse: more than {self.max_queue} events are waiting to be sent to "
                f"{self._where()}; the oldest are being dropped (last error: "
                f"{self._outbox.last_error or 'none, the server is slow'}). "
                "sse.stats()['dropped'] counts them.",
                RuntimeWarning,
                stacklevel=stacklevel,
            )

    def _start(self) -> None:
        with self._start_lock:
            if self._sender is not None:
                return
            if self._closed:
                raise SSEError("this Publisher is closed; create a new one to publish")
            if self._transport is None:
                self._transport = discover()
            self._sender = Sender(
                self._outbox,
                self._transport,
                linger=self.linger,
                max_batch=self.max_batch,
                max_batch_bytes=self.max_batch_bytes,
                backoff_cap=self.backoff_cap,
            )

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event published so far was delivered.

        Raises ``SSEDeliveryError`` after ``timeout`` seconds, or when events published
        since the last ``flush`` were refused or dropped; the message says why.
        """
        sender = self._sender
        if sender is not None and threading.current_thread() is sender.thread:
            # The sender itself (e.g. a logging handler that flushes): waiting for itself
            # would never end, and whatever it is in the middle of will finish anyway.
            return
        settled, dropped, failed, pending, reason = self._outbox.wait_settled(timeout)
        if not settled:
            raise SSEDeliveryError(
                f"{pending} event(s) not delivered within {timeout:g}s to {self._where()}: "
                f"{reason or 'the server has not answered yet'}"
            )
        problems = (
            [f"{dropped} dropped unsent (over max_queue={self.max_queue})"] if dropped else []
        )
        if failed:
            problems.append(f"{failed} refused ({self._outbox.last_error})")
        if problems:
            raise SSEDeliveryError(f"not delivered to {self._where()}: " + "; ".join(problems))

    def stats(self) -> Stats:
        """Counters since this publisher was created (see ``Stats``)."""
        outbox = self._outbox
        with outbox.lock:
            return {
                "queued": len(outbox.events) + outbox.inflight,
                "sent": outbox.sent,
                "dropped": outbox.dropped,
                "failed": outbox.failed,
                "last_error": outbox.last_error,
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
        self._closed = True
        self._outbox.close()
        with self._start_lock:
            sender = self._sender
        thread = sender.thread if sender is not None else None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        self._outbox.drop_rest()
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
