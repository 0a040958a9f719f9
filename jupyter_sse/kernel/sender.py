"""The sender thread of a publisher: batches out of the outbox, into the transport.

A transport says how a send went by what it raises (``transport.base``); every decision
that follows is made here: retry with backoff while the server is away, split a
refused batch until the bad events are alone, give up on what can never get through.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Sequence
from typing import Final

from ..wire.errors import describe
from .outbox import Outbox
from .transport.base import BatchRefused, Rejected, RetryLater, Transport

log = logging.getLogger("jupyter_sse")

MAX_RETRY_AFTER: Final = 60.0  # seconds: a longer Retry-After is taken as this
BACKOFF_FIRST: Final = 0.05  # seconds before the first retry
THREAD_NAME: Final = "jupyter-sse-publisher"


class _Closed(Exception):
    """The publisher was closed while a batch waited for a retry."""


class Sender:
    """The one daemon thread that delivers a publisher's outbox through its transport.

    ``linger`` is how long (seconds) it waits for more events of a burst before it sends
    a batch (an event that finds it idle goes at once, and so does a lone one that came
    while a batch was on its way); a batch is at most ``max_batch``
    events and ``max_batch_bytes`` bytes.
    """

    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        linger: float,
        max_batch: int,
        max_batch_bytes: int,
        backoff_cap: float,
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.linger = linger
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes
        self.backoff_cap = backoff_cap
        self.thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        outbox = self.outbox
        sent = last = 0
        while True:
            # One pass under the lock per request, for the accounts of the batch just
            # sent and the taking of the next: a sender that finds the lock held by the
            # publishing loop must then wait for the GIL again.
            with outbox.cond:
                if last:
                    outbox.settle(sent, last)
                batch, last = outbox.take(self.linger, self.max_batch, self.max_batch_bytes)
                if not batch:
                    return
            sent = self._deliver(batch)

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
                self.outbox.lost_at_close(len(chunk) + sum(map(len, chunks)))
                break
            else:
                sent += len(chunk)
        return sent

    def _send(self, chunk: Sequence[bytes]) -> None:
        transport = self.transport
        attempt = 0
        while True:
            try:
                transport.send(chunk)
            except RetryLater as e:
                delay = (
                    min(e.retry_after, MAX_RETRY_AFTER)
                    if e.retry_after is not None
                    else backoff(attempt, self.backoff_cap)
                )
                attempt += 1
                if self.outbox.note_outage(str(e)):
                    log.warning("jupyter_sse: %s; retrying, events stay queued", e)
                if self.outbox.wait_closed(delay):
                    raise _Closed from None
                continue
            except (BatchRefused, Rejected):
                raise
            except Exception as e:
                # A bug in a transport must neither kill this thread (publishing would
                # silently stop) nor be retried forever: the chunk is given up on.
                log.exception("jupyter_sse: transport %s failed", transport.description)
                raise Rejected(f"transport error: {describe(e)}") from e
            if self.outbox.end_outage():
                log.info("jupyter_sse: delivering to %s again", transport.description)
            return

    def _give_up(self, count: int, message: str) -> None:
        if self.outbox.give_up(count, message):
            log.error("jupyter_sse: %d event(s) refused: %s", count, message)


def backoff(attempt: int, cap: float) -> float:
    """Seconds before retry ``attempt``: exponential with jitter, at most ``cap``."""
    # Jitter: kernels that lost the same server at the same moment must not all come
    # back at the same moment.
    delay = min(cap, BACKOFF_FIRST * 2.0**attempt)
    return delay / 2 + random.uniform(0, delay / 2)
