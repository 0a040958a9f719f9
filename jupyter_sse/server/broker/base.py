"""The ``Broker`` protocol that handlers depend on, and the pieces every broker shares.

A broker owns three things: the history (for resume), the latest state per channel
(for snapshots) and the fan-out to the connections of this process. Handlers only
ever see this protocol, so the embedded and the Redis broker cannot drift apart
without the shared test suite noticing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, NamedTuple, NotRequired, Protocol, TypedDict

from ...wire.events import EventIn


class Subscriber(Protocol):
    """One SSE connection as a broker sees it.

    ``deliver`` is called on the event loop thread with bytes already encoded for the
    wire; it must not block and must not raise. The same ``bytes`` object is handed
    to every subscriber of an event: it was encoded once. ``deliver`` may wait for the
    end of the loop tick to write; ``deliver_now`` gets the frames a tick ends with (and
    the same frames as one HTTP/1.1 chunk) and writes them at once when nothing else is
    waiting.
    """

    @property
    def patterns(self) -> Sequence[str]: ...

    def open(self, first: Iterable[bytes]) -> None:
        """Begin with ``first`` (replay or snapshots): pulled lazily, as the client reads.

        The iterable must stay valid while it is pulled: it yields the frames as of the
        moment ``subscribe`` was called, whatever is published meanwhile.
        """

    def deliver(self, frame: bytes) -> None: ...

    def deliver_now(self, frames: bytes, chunk: bytes) -> None: ...


class Health(TypedDict):
    """What ``GET sse/health`` reports."""

    broker: str
    state: Literal["ok", "degraded"]
    reason: NotRequired[str]
    connections: NotRequired[int]


class ChannelInfo(TypedDict):
    """One row of ``GET sse/channels``. ``watchers``: the people watching it now, on
    every server (added by the route: brokers know streams, not people)."""

    channel: str
    subscribers: int
    events: int
    last_event: float | None
    watchers: NotRequired[int]


# Who watches a channel now, as JSON (``events.Presence``), or None: what a broker adds
# to each snapshot it sends (``state.with_presence``).
PresenceSource = Callable[[str], str | None]


def no_presence(channel: str) -> str | None:
    """The ``PresenceSource`` of a broker that is told of no watchers."""
    return None


class SpaceView(NamedTuple):
    """What one presence exchange found in one space (a tenant's channels, the hub's).

    ``entries``: the other servers' entries (server id -> JSON), or None when none changed
    since the last exchange; ``missing``: this server's entry was gone (it stalled past
    its ttl), send it whole; ``channels``: how many channels the space holds, which
    changes when a new one appears.
    """

    entries: dict[str, str] | None
    missing: bool
    channels: int


class BrokerUnavailable(Exception):
    """The broker cannot take a publish right now (e.g. Redis is down); nothing was written."""


class BrokerFull(Exception):
    """The broker holds all the channels it may and cannot make room; nothing was written."""


class Broker(Protocol):
    """What the handlers need from a broker, whichever one is configured."""

    kind: str
    # Presence spaces: 1, or 2 when the hub-wide namespace has servers of its own.
    presence_spaces: int

    async def start(self) -> None:
        """Open connections and background tasks. Must not fail when a backend is down."""

    async def close(self) -> None:
        """Stop background tasks and release connections."""

    def health(self) -> Health:
        """Current state, cheap enough to call on every request."""

    async def publish(self, events: Sequence[EventIn]) -> list[str]:
        """Store and fan out already validated events, all or none; return their ids."""

    async def subscribe(self, subscriber: Subscriber, cursor: str | None) -> None:
        """Register ``subscriber`` and deliver its first frames.

        With no cursor: one ``snapshot`` per channel. With a cursor the history still
        covers: every missed event, in order, once. Otherwise ``reset`` then snapshots.
        Live events follow with no gap and no duplicate between the two.
        """

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Remove ``subscriber`` at once; safe to call twice."""

    async def channels(self, scope: Sequence[str] | None = None) -> list[ChannelInfo]:
        """The channels the broker knows, sorted by name, with their local subscriber
        counts: every one, or (``scope``) those the patterns of a viewer link cover."""

    async def claim(self, name: str, ttl: float) -> bool:
        """Whether this server should do the job ``name`` that every server sharing the
        broker sees (deliver an event to a webhook): True for exactly one of them while
        the claim lasts (``ttl`` seconds)."""

    async def channel_names(self, patterns: Sequence[str]) -> list[str]:
        """The names of the channels ``patterns`` cover, sorted."""

    async def chat_message(self, channel: str, message_id: str) -> str | None:
        """The JSON of chat message ``message_id`` as ``channel``'s snapshot keeps it (with
        its edits), or None when it is not kept (deleted, too old, never posted)."""

    def presence_space(self, channel: str) -> int:
        """Which of the ``presence_spaces`` ``channel`` is in: 0 for the servers' own
        channels, 1 for the hub's (shared with the servers of every tenant)."""

    async def exchange_presence(self, entries: Sequence[str | None], ttl: float) -> list[SpaceView]:
        """Write this server's presence entry of each space and read the other servers'.

        One entry per space, in order: JSON, ``""`` to remove it, or None to keep it as
        it is (renewed: an entry not renewed within ``ttl`` seconds expires, as a dead
        server's does). A broker without other servers has one space and finds nobody."""
