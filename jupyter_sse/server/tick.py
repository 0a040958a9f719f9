"""The end of the loop tick: where frames queued during it are written, in one sweep.

Publishing and fan-out queue frames (a fan-out group's frames, a stream's backlog) and
ask the ``Tick`` to flush them once the current callback is done. One loop callback per
sweep for all of them, rather than one per group and one per stream: at 10,000 viewers
that is 10,000 fewer loop handles for every tick that has events, and every frame of a
sweep reaches a viewer in one write.

- Idle server: a sweep runs at the end of the tick its first frame was queued in, with
  no added delay.
- A busy server (long sweeps, ``LONG_SWEEP`` or more: ~4 ms of ``send`` at 1,000
  streams, each followed by new work within half as long again, ``BUSY_SWEEPS`` times
  in a row, while sweeps, one per publish, would take ``BUSY_SHARE`` of the loop or
  more over the last several sweeps): the next sweep is held while requests keep
  coming, until none has come for ``QUIET_GAP`` of a sweep's length, and at most until
  the loop has had ``HOLD_RATIO`` times as long as the last sweep took (at most
  ``max_delay``) for everything else. Requests read meanwhile add their events to that
  next sweep. A publisher that sends one event per request and waits for each answer
  would otherwise get one request in per sweep: each event swept to every stream on its
  own, and the publisher held to ~200 events/s at 1,000 streams. Ending the hold when
  the requests stop keeps a burst's events from waiting out the rest of it (one event
  per request at 1,000 events/s: p50 6.4-7.4 ms rather than 7.8-8.6 in the same half
  hours, ``bench/README.md``).
- The share is what holds a steady rate apart from a queue. At 100 events/s and 5 ms
  sweeps, one event in fifty or so comes while a sweep runs (the one before it came
  late), and two such in a row looked like a queue to the gaps alone: the hold then
  cost those events up to 10 ms, the stream's p99 (p99 16-17 ms against 5 with no
  hold, ``bench/README.md``). Sweeps then take half the loop (and 60-80% at an hour
  when sweeps take 6-8 ms); a queue behind them (one request after each answer, or
  more publishes than sweeps can carry one by one) keeps them at nine-tenths or more
  (a sweep, then the ~0.5 ms of the next request), or, held, at several times the loop.
- A hold that gathered no more publishes (``arrived``) than sweeps of their own could
  have carried in its time (the hold and the held sweep) ends the busy spell: nothing
  is queueing that holding helps. Without this a steady 100 events/s could hold every
  sweep: a held sweep ends later, so the next event comes soon after its end, which
  looks like work queueing behind it; and while sweeps are slow (8 ms at the start of
  a run here) a 10 ms hold gathers two events at that rate, hold after hold.
- A lone burst is not held: two events a millisecond apart on an otherwise quiet server
  (a publisher catching up) go in two sweeps back to back. Holding the second for the
  loop's turn would add a whole sweep's time to its latency and gain nothing: no third
  request is coming to share it. (At 100 events/s and 1,000 streams, one event per
  request: p99 10-17 ms with such sweeps held, 4-7 ms without; ``bench/README.md``.)
- Order is untouched: a sweep flushes what was deferred in the order it was deferred,
  and a fan-out group's frames stay in one list until they are written.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Final, Protocol

from .metrics import COUNTS

# A sweep shorter than this is not worth holding the next one for: the hold would cost
# a viewer more than the loop time it frees (epoll waits in whole milliseconds).
LONG_SWEEP: Final = 0.001  # seconds
# epoll waits in whole milliseconds, rounded up, so a timer fires up to this late. A held
# sweep's timer is set this much early, and the loop then turns over (reading whatever
# comes) until the sweep is due: at most a millisecond of a busy loop per held sweep,
# where a late timer would add up to a millisecond to every event it holds.
EPOLL_GRAIN: Final = 0.001  # seconds
DEFAULT_MAX_DELAY: Final = 0.010  # seconds; the default of SSEApp.max_write_delay
# Long sweeps in a row, each followed by new work before the loop had half as long as
# it took, after which the next is held: a sustained load, not a lone burst. Half, not
# as long: at 100 events/s and 1,000 streams a sweep can take 5 ms, and the next event
# then came within a sweep's length of its end; holding it bought nothing but delay.
BUSY_SWEEPS: Final = 2
BUSY_GAP: Final = 0.5  # of the last sweep's length
# How long a busy server's loop gets for requests between sweeps, at most, in sweeps:
# sweeps then take at most a third of its time. At one event per request and 1,000
# streams (~4 ms sweeps), a hold as long as the sweep let 580-730 events/s through and
# twice as long 1,000/s (``bench/README.md``); every held event waits up to the hold more.
HOLD_RATIO: Final = 2
# A held sweep runs once no publish has come for this share of the last sweep's length:
# the requests it waited for have stopped (a publisher's burst is over), and holding on
# only delays what it gathered. A hold that outlasts the burst also drifts against the
# publisher's pace, and the next burst's first request lands in a sweep: it then waits
# for that sweep, a hold and its own. 0.15: ~0.8 ms at 5 ms sweeps, twice the time
# between publishes of one request at a time (read, answered, the next one sent).
QUIET_GAP: Final = 0.15
# The same while the hold has one publish only, the one that started it: that alone does
# not show a pace. After a large sweep a publisher may take a while (reading what the
# sweep sent it) before it sends again: 2-3 ms in the bench's fan-out, where a quarter
# sweep's wait from the first publish swept a single event in every other hold.
LONE_GAP: Final = 1.0
# Sweeps, one per publish (each as long as the last sweep carrying it took), would take
# this share of the loop or more: a load the loop cannot carry one publish at a time.
# Measured over the last several sweeps (each weighed ``SHARE_DECAY`` times the one
# after it), so that one late event does not make a trickle look like a queue. A quiet
# spell (no sweep for ``QUIET_SWEEPS`` times as long as one takes) starts the measure
# afresh, as that many sweeps' length: a load that starts after it is seen within a few
# sweeps, and the load before it (a burst of many publishes a sweep) is forgotten.
# Four-fifths, not two-thirds: 100 requests/s with 6 ms sweeps (a slower hour of the
# bench's VM) read 0.6-0.7, and two-thirds held a few of their sweeps (p99 16.5 ms
# where unheld sweeps give 5-8).
BUSY_SHARE: Final = 0.8
SHARE_DECAY: Final = 0.75
QUIET_SWEEPS: Final = 4


class Flushable(Protocol):
    """Something with frames to write at the end of the tick."""

    def flush(self) -> None: ...


class Tick:
    """Runs ``flush`` of everything ``defer``-ed, in order, once per sweep.

    ``max_delay``: the longest, in seconds, that a sweep is held after a long one (0:
    never held, every sweep at the end of its tick).
    """

    __slots__ = (
        "_arrivals",
        "_busy",
        "_carried",
        "_cycle",
        "_demand",
        "_due",
        "_handle",
        "_held",
        "_last_arrival",
        "_last_end",
        "_last_start",
        "_later",
        "_max_delay",
        "_running",
        "_span",
        "sweeps",
    )

    def __init__(self, max_delay: float = DEFAULT_MAX_DELAY) -> None:
        self._max_delay = max_delay
        self._due: list[Flushable] = []
        self._later: list[Flushable] = []  # for the sweep after the one running
        self._handle: asyncio.Handle | None = None  # the next sweep, once scheduled
        self._last_start = self._last_end = 0.0  # loop time of the last sweep
        self._running = False
        self._busy = 0  # long sweeps in a row followed by new work within half their length
        self._held = False  # the next (or running) sweep was held
        self._last_arrival = 0.0  # loop time of the last publish while held
        self._arrivals = 0  # publishes since the last sweep began
        self._carried = 0  # publishes the last sweep carried
        self._cycle = 0.0  # from the end of the sweep before the last to the last's end
        # Decayed sums over past sweeps: loop time their publishes would have taken in
        # sweeps of their own, and loop time the sweeps spanned (`share`).
        self._demand = 0.0
        self._span = 0.0
        self.sweeps = 0  # sweeps run so far

    def defer(self, item: Flushable) -> None:
        """Flush ``item`` in the next sweep (this tick's end when the server is idle).

        The caller defers an item at most once per sweep (it keeps its own "scheduled"
        flag, reset by its ``flush``). An item deferred while a sweep runs is flushed in
        that same sweep.
        """
        self._due.append(item)
        if self._handle is None:
            self._schedule()

    def arrived(self) -> None:
        """One publish's events went to the fan-outs (a request's, or a message from
        Redis): a held sweep waits while they keep coming, and one that carries more
        of them than sweeps of their own could have was worth holding."""
        self._arrivals += 1
        waiting = self._waiting
        if waiting is not None:  # this publish moves the held sweep's quiet gap
            self._last_arrival = asyncio.get_running_loop().time()
            if self._arrivals == 2:
                # The pace shows from the second publish on: the hold may end sooner.
                waiting.cancel()
                self._wait(self._hold_until())

    def later(self, item: Flushable) -> None:
        """Flush ``item`` in the sweep after the one running (what is left of a group's
        frames past the bytes one sweep writes to a stream). Outside a sweep: ``defer``."""
        if self._running:
            self._later.append(item)
        else:
            self.defer(item)

    @property
    def carried(self) -> int:
        """Publishes (``arrived``) that the last sweep carried."""
        return self._carried

    @property
    def share(self) -> float:
        """The share of the loop that recent sweeps would have taken, one per publish."""
        return self._demand / self._span if self._span else 0.0

    @property
    def due_at(self) -> float | None:
        """Loop time at which the next sweep is held until; None when it runs at the end
        of this tick (or nothing is due)."""
        return self._hold_until() if self._waiting is not None else None

    @property
    def _waiting(self) -> asyncio.Handle | None:
        """The held sweep's handle while it waits (scheduled, not begun); else None."""
        return self._handle if self._held and not self._running else None

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        took = self._last_end - self._last_start
        if self._held and self._carried * took <= self._cycle:
            # The hold gathered no more publishes than sweeps of their own could have
            # carried in its time: nothing is queueing that holding helps.
            self._busy = 0
        # Work that comes back before the loop had half as long as the last sweep took:
        # one more in a row; a quiet spell starts the count again.
        busy = (
            took >= LONG_SWEEP
            and loop.time() < self._last_end + BUSY_GAP * took
            and self.share >= BUSY_SHARE
        )
        self._busy = self._busy + 1 if busy else 0
        self._held = self._busy >= BUSY_SWEEPS and self._max_delay > 0
        if self._held:
            self._last_arrival = loop.time()
            self._wait(self._hold_until())
        else:
            # A fresh context: the callback must not keep the publishing request alive.
            self._handle = loop.call_soon(self._run, context=contextvars.Context())

    def _hold_until(self) -> float:
        """When the held sweep is due: at the hold's end, or once publishes stopped. (No
        sweep runs while it waits, so the last sweep is still the one before it.)"""
        took = self._last_end - self._last_start
        hold_end = self._last_end + min(HOLD_RATIO * took, self._max_delay)
        gap = (QUIET_GAP if self._arrivals >= 2 else LONE_GAP) * took
        return min(hold_end, self._last_arrival + gap)

    def _wait(self, when: float) -> None:
        loop = asyncio.get_running_loop()
        context = contextvars.Context()
        if when - loop.time() > EPOLL_GRAIN:
            self._handle = loop.call_at(when - EPOLL_GRAIN, self._wake, context=context)
        else:
            self._handle = loop.call_soon(self._wake, context=context)

    def _wake(self) -> None:
        """A held sweep's timer, or a turn of the loop while it is nearly due: sweep once
        it is due; meanwhile the loop reads whatever comes."""
        when = self._hold_until()
        if when > asyncio.get_running_loop().time():
            self._wait(when)
        else:
            self._run()

    def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        self._running = True
        self.sweeps += 1
        self._carried, self._arrivals = self._arrivals, 0
        # A group's flush may leave frames queued on a busy stream, which defers that
        # stream in turn: it is flushed in this same sweep, after the groups.
        try:
            while self._due:
                due, self._due = self._due, []
                for item in due:
                    item.flush()
        finally:
            self._running = False
            self._handle = None
            end = loop.time()
            took = end - start
            COUNTS.sweeps["held" if self._held else "at_once"] += 1
            COUNTS.sweep_seconds += took
            # A sweep that carried no publish (a stream's backlog, a burst's rest) is
            # loop time all the same: it counts as one.
            demand = max(self._carried, 1) * took
            span = self._cycle = end - self._last_end
            if span > QUIET_SWEEPS * took:  # after a quiet spell: measured afresh
                self._demand, self._span = demand, QUIET_SWEEPS * took
            else:
                self._demand = SHARE_DECAY * self._demand + demand
                self._span = SHARE_DECAY * self._span + span
            self._last_start, self._last_end = start, end
            if self._later:
                self._due += self._later
                self._later = []
            if self._due:
                self._schedule()
