"""``PresenceTracker``: tells this server's streams who watches their channels.

* Presence is not history. Each server writes ``presence`` frames (no id, see
  ``wire.sse.presence_frame``) to its own streams only, from what its ``WatcherBoard``
  knows; nothing of it is published, kept for resume or sent through Redis pub/sub. A
  resumed stream is told who watches now instead of every coming and going it missed,
  and no two servers ever announce the same change.
* Debounced: at most one round per ``INTERVAL`` (1 s), so a channel's streams get at
  most one ``presence`` event per second however many people come and go; the first
  change after a quiet second goes out at once.
* Across servers: each round renews this server's entry in the broker and reads the
  others' when they changed (``Broker.exchange_presence``), so a change on one server
  reaches the streams of the others within about a second, and the entry of a server
  that died expires with ``presence_ttl``. The rounds run while this server has streams
  (or an entry to take back), and cost one script call each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final

from ...wire.names import covered, explicit_channels
from ...wire.sse import presence_frame
from ..broker.base import Broker, BrokerUnavailable
from ..streams import EventStream, EventStreams
from .watchers import WatcherBoard

INTERVAL: Final = 1.0  # seconds between two rounds at least: the debounce of each channel
STOP_WAIT: Final = 2.0  # seconds stop() waits for this server's entries to be taken back


class PresenceTracker:
    """Keeps ``board`` up to date with ``streams`` and the other servers, and tells the
    streams when their channels' watchers change. A ``services.Part``."""

    def __init__(
        self,
        broker: Broker,
        streams: EventStreams,
        board: WatcherBoard,
        *,
        ttl: float,
        log: logging.Logger,
    ) -> None:
        self._broker = broker
        self.board = board
        board.space_of = broker.presence_space
        self._ttl = ttl
        self._log = log
        self._spaces = broker.presence_spaces
        self._groups: dict[tuple[str, ...], set[EventStream]] = {}  # streams by patterns
        self._new: set[EventStream] = set()  # resumed streams that need the whole picture
        # channel -> hash of the presence JSON its streams were told: a number, not the
        # text, so that a server whose streams cover every channel holds little for it.
        self._sent: dict[str, int] = {}
        self._counts: list[int] = []  # channels per space at the last round
        self._dirty = True  # this server's entries changed: send them whole
        self._listed = [False] * self._spaces  # this server has an entry in each space
        self._answered = time.monotonic()  # when the broker last answered
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0  # rounds that told streams something (tests read it)
        streams.watch(self._changed)

    def _changed(self, stream: EventStream, opened: bool) -> None:
        identity = stream.identity
        if identity is None:
            return
        if opened:
            self.board.add(stream, identity, stream.patterns, time.time())
            self._groups.setdefault(stream.patterns, set()).add(stream)
            if stream.resumed:
                self._new.add(stream)
        else:
            self.board.remove(stream)
            group = self._groups.get(stream.patterns)
            if group is not None:
                group.discard(stream)
                if not group:
                    del self._groups[stream.patterns]
            self._new.discard(stream)
        self._dirty = True
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if any(self._listed):
            # Taken back at once rather than left to expire: the others see these
            # watchers leave now, not presence_ttl later.
            with contextlib.suppress(BrokerUnavailable, asyncio.TimeoutError):
                await asyncio.wait_for(
                    self._broker.exchange_presence([""] * self._spaces, self._ttl), STOP_WAIT
                )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = -INTERVAL
        while True:
            # Rounds come by themselves only while there is something to renew or to
            # watch for; otherwise the next change wakes this up.
            polling = bool(self._groups) or any(self._listed)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), INTERVAL if polling else None)
            self._wake.clear()
            delay = last + INTERVAL - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            last = loop.time()
            try:
                await self.round()
            except BrokerUnavailable as e:
                self._log.debug("jupyter_sse: presence not exchanged: %s", e)
                if time.monotonic() - self._answered > self._ttl and self.board.clear_remote():
                    # Nobody can tell whether the others still watch: only this server's
                    # own watchers are shown until the broker answers again.
                    with contextlib.suppress(BrokerUnavailable):
                        await self._tell(people_changed=True)
            except Exception:
                # A bug here must not end presence for the life of the server.
                self._log.exception("jupyter_sse: a presence round failed")

    async def round(self) -> None:
        """Renew this server's entries, read the others', and tell the streams what
        changed. Raises ``BrokerUnavailable`` when the broker cannot answer."""
        dirty = self._dirty
        # Whole when they changed; else renewed where listed (None), and "" elsewhere.
        entries: list[str | None] = [
            self.board.entry(space) if dirty else None if listed else ""
            for space, listed in enumerate(self._listed)
        ]
        self._dirty = False  # a change while this waits sets it again
        try:
            views = await self._broker.exchange_presence(entries, self._ttl)
        except BrokerUnavailable:
            self._dirty = self._dirty or dirty
            raise
        self._answered = time.monotonic()
        self._listed = [entry is None or entry != "" for entry in entries]
        people_changed = dirty
        counts = [view.channels for view in views]
        grew = counts != self._counts  # new channels: their streams have not been told
        self._counts = counts
        for space, view in enumerate(views):
            if view.missing:
                self._dirty = True  # our entry expired (this server stalled): resend it
                self._wake.set()
            if view.entries is not None and self.board.set_remote(space, view.entries):
                people_changed = True
        if people_changed or grew or self._new:
            await self._tell(people_changed=people_changed)

    async def _tell(self, *, people_changed: bool) -> None:
        """Send ``presence`` to the streams of every channel whose watchers changed (all of
        them when ``people_changed``, else the channels they were never told about), and
        the whole picture to the streams that resumed."""
        patterns = sorted({p for group in self._groups for p in group})
        names = await self._broker.channel_names(patterns) if patterns else []
        # From here on nothing waits: the streams are the ones open now.
        new, self._new = self._new, set()
        groups = {key: set(members) for key, members in self._groups.items()}
        channels = dict.fromkeys([*names, *explicit_channels(patterns)])
        now = time.time()
        frames: dict[str, bytes] = {}
        sent: dict[str, int] = {}
        for channel in channels:
            known = self._sent.get(channel)
            if known is not None and not people_changed and not new:
                sent[channel] = known  # nobody came or went: nothing to work out
                continue
            text = self.board.presence_json(channel)
            sent[channel] = hash(text)
            if sent[channel] != known or new:
                frames[channel] = presence_frame(channel, now, text)
        previous, self._sent = self._sent, sent
        told = False
        for group_patterns, members in groups.items():
            for channel, frame in frames.items():
                if not covered(group_patterns, channel):
                    continue
                fresh = previous.get(channel) != sent[channel]
                for stream in members if fresh else members & new:
                    stream.deliver(frame)
                    told = True
        if told:
            self.rounds += 1
