"""The events a publisher accepted and has not settled yet, and its accounts.

Both sides of a ``Publisher`` work on one ``Outbox``: the caller's thread puts events in
(``put``) and waits on it (``wait_settled``); the sender thread takes batches out
(``take``) and reports how they went (``settle``, ``give_up``, ``outage``). One lock
guards all of it. The queue is bounded: when it is full the oldest event is dropped
and counted, because a training loop must never wait on a dashboard.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from ..wire.errors import SSEError

# Keys of queued events: an ordinal, or (channel, type, key) for the coalesced types.
Slot = int | tuple[str, str, Any]
# Events that came during one request's round trip from which the sender lingers: fewer
# go at once (a loop slower than a request's round trip, now and then caught in one).
BURST_EVENTS = 2


class Outbox:
    """A bounded, coalescing queue of encoded events with its delivery accounts."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        # Ordered by ordinal. Keyed by ordinal, or by (channel, type, key) for the
        # coalesced types so that a newer value replaces the queued one in O(1).
        self.events: OrderedDict[Slot, tuple[int, bytes]] = OrderedDict()
        # The queue length at which `put` wakes the sender: 1 while it waits for a
        # first event, max_batch while it lingers, never while it sends.
        self.wake_at: float = math.inf
        # The random prefix keeps ids unique across processes: the server drops an event
        # whose (channel, id) it has seen, which is what makes a retry safe.
        self.id_prefix = secrets.token_hex(4).encode()
        self.ordinal = 0  # of the newest accepted event
        self.done = 0  # every event up to this ordinal was delivered or given up on
        self.inflight = 0  # events taken by the sender and not settled yet
        self.sent = self.dropped = self.failed = 0
        self.reported = (0, 0)  # (dropped, failed) that a flush already raised about
        self.last_error: str | None = None
        self.outage = False  # the transport said "retry later" and has not succeeded since
        self.flushing = 0  # callers waiting in wait_settled: the sender stops lingering
        self.closed = False
        self.warned_full = False

    # --- the caller's side ------------------------------------------------------------

    def put(self, head: bytes, slot_key: tuple[str, str, Any] | None) -> bool:
        """Queue the event whose JSON starts with ``head`` (its id is added here).

        Returns True when this put dropped an event for the first time (warn once).
        Raises ``SSEError`` once closed.
        """
        with self.lock:
            if self.closed:
                raise SSEError("this Publisher is closed; create a new one to publish")
            self.ordinal += 1
            ordinal = self.ordinal
            event = head + b'%s-%d"}' % (self.id_prefix, ordinal)
            events = self.events
            if slot_key is not None:
                events.pop(slot_key, None)
                events[slot_key] = (ordinal, event)
            else:
                events[ordinal] = (ordinal, event)
            warn = False
            if len(events) > self.max_queue:
                events.popitem(last=False)
                self.dropped += 1
                warn, self.warned_full = not self.warned_full, True
            if len(events) >= self.wake_at:
                # Only a sender waiting for this many events is woken: notifying on every
                # put while it sends cost the loop more than the rest of the call.
                self.wake_at = math.inf
                self.cond.notify()
            return warn

    def wait_settled(self, timeout: float) -> tuple[bool, int, int, int, str | None]:
        """Wait until every event put so far is settled.

        Returns (settled, newly dropped, newly failed, still pending, outage reason); the
        dropped and failed counts are those no earlier call returned.
        """
        with self.cond:
            target = self.ordinal
            self.flushing += 1
            self.cond.notify_all()
            try:
                settled = self.cond.wait_for(lambda: self.done >= target, timeout)
            finally:
                self.flushing -= 1
            dropped = self.dropped - self.reported[0]
            failed = self.failed - self.reported[1]
            self.reported = (self.dropped, self.failed)
            pending = len(self.events) + self.inflight
            reason = self.last_error if self.outage else None
        return settled, dropped, failed, pending, reason

    def close(self) -> None:
        """Refuse further puts and wake the sender so that it stops."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def drop_rest(self) -> None:
        """Count what is still queued as dropped; every waiter is released."""
        with self.cond:
            self.dropped += len(self.events)
            self.events.clear()
            self.done = self.ordinal
            self.cond.notify_all()

    # --- the sender's side ------------------------------------------------------------

    def take(self, linger: float, max_batch: int, max_bytes: int) -> tuple[list[bytes], int]:
        """The next batch and the ordinal of its last event; ([], 0) once closed.

        An event that finds the sender waiting goes at once: the status of a quiet cell,
        or the metric of a loop slower than a request, is not held back. So does a lone
        event that came while the last batch was being sent: a loop a little slower
        than a request's round trip puts one in now and then (at 100 events/s and a
        ~2 ms round trip, about one in five), and holding it for the linger would delay
        it by up to that long for no batch to speak of. ``BURST_EVENTS`` or more that
        came meanwhile are a burst: it waits up to ``linger`` seconds for more, so that
        the burst costs one request rather than one each. Called with the lock held.
        """
        events, cond = self.events, self.cond
        came = len(events)  # while the last batch was on its way
        while not events and not self.closed:
            self.wake_at = 1
            cond.wait()
        if self.closed:
            return [], 0
        deadline = time.monotonic() + (linger if came >= BURST_EVENTS else 0.0)
        while not self.flushing and not self.closed and len(events) < max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.wake_at = max_batch
            cond.wait(remaining)
        self.wake_at = math.inf
        batch: list[bytes] = []
        size = last = 0
        while events and len(batch) < max_batch:
            slot, (ordinal, event) = events.popitem(last=False)
            if batch and size + len(event) + 1 > max_bytes:
                events[slot] = (ordinal, event)
                events.move_to_end(slot, last=False)
                break
            batch.append(event)
            size += len(event) + 1
            last = ordinal
        self.inflight = len(batch)
        return batch, last

    def settle(self, sent: int, last: int) -> None:
        """``sent`` events of the batch ending at ``last`` were delivered (the rest given
        up on or dropped already). Called with the lock held."""
        self.sent += sent
        self.inflight = 0
        self.done = max(self.done, last)
        self.cond.notify_all()

    def give_up(self, count: int, message: str) -> bool:
        """``count`` events were refused for good; True when ``message`` is news."""
        with self.cond:
            self.failed += count
            self.inflight -= count
            changed = message != self.last_error
            self.last_error = message
        return changed

    def lost_at_close(self, count: int) -> None:
        """``count`` events of a batch waiting for a retry were dropped by ``close``."""
        with self.cond:
            self.dropped += count

    def note_outage(self, message: str) -> bool:
        """The transport asked to retry later; True when this starts an outage."""
        with self.cond:
            self.last_error = message
            first = not self.outage
            self.outage = True
        return first

    def end_outage(self) -> bool:
        """A send succeeded; True when it ended an outage."""
        if not self.outage:  # only the sender sets it: no lock needed to read it
            return False
        with self.cond:
            self.outage = False
        return True

    def wait_closed(self, delay: float) -> bool:
        """Sleep ``delay`` seconds unless closed meanwhile; True when closed."""
        with self.cond:
            return self.cond.wait_for(lambda: self.closed, delay)
