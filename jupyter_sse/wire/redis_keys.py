"""Where the Redis broker keeps things: every key name, in one place.

Layout, for the default prefix ``jupyter_sse:`` and channel ``train/run-1``::

    jupyter_sse:seq                       global event counter (INCR): one number orders
                                          every channel, so one cursor covers a connection
    jupyter_sse:epoch                     random, set once (NX); a new value means Redis
                                          lost its data and old cursors are foreign
    jupyter_sse:channels                  registry: sorted set, every member scored 0, so a
                                          ``train/*`` pattern is one ZRANGEBYLEX
    jupyter_sse:config                    history_size / history_ttl the servers run with
    jupyter_sse:claim:<name>              set once (NX, with a TTL) by the server that takes a
                                          job every server sees: a webhook delivery
    jupyter_sse:presence                  hash: server id -> who watches its streams (JSON)
    jupyter_sse:presence:exp              sorted set: server id scored by when its entry
                                          expires (Redis time), renewed every second
    jupyter_sse:presence:rev              hash: n, bumped whenever an entry changes or expires
    jupyter_sse:{train/run-1}:h           history: stream, ids ``<seq>-0``, fields f=frame t=ts
    jupyter_sse:{train/run-1}:m           hash: n (events), t (last ts), ev (last evicted seq)
    jupyter_sse:{train/run-1}:i:<id>      idempotency key -> cursor, with a TTL
    jupyter_sse:{train/run-1}:sp, :ss, :so     latest progress / status / other by key (hash)
    jupyter_sse:{train/run-1}:sp:o, ...   the same keys scored by last update (eviction order)
    jupyter_sse:{train/run-1}:sm, :sl     last metric points / log lines (list)
    jupyter_sse:{train/run-1}:st          table names scored by last update
    jupyter_sse:{train/run-1}:st:<table>  newest rows of one table (list)
    jupyter_sse:{train/run-1}:sc, :sc:o   last chat messages by id (hash), and their ids
                                          scored by position (post order)
    jupyter_sse:{train/run-1}:live        pub/sub channel: a message is one or more frames, in order

Every per-channel key carries the channel in a ``{hash tag}``, so all of a channel's
keys (and its pub/sub channel) map to one Redis Cluster slot. The Lua scripts build
the per-channel names from the same ``prefix{channel}:`` base; this module and
``redis_scripts`` must agree on the suffixes.

Tenants (JupyterHub users, or any ``c.SSEApp.tenant``) share one Redis apart: a
tenant's channels, registry and settings live under ``<prefix>t:<tenant>:`` (the
tenant percent-encoded), so an ACL user limited to that pattern reaches nothing else.
Channels under ``hub/`` are the hub-wide namespace every tenant reads and writes,
under ``<prefix>hub:``. The sequence and the epoch stay at ``<prefix>seq`` and
``<prefix>epoch``: one cursor orders a tenant's channels and the hub's together.
Without a tenant every key is right under the prefix, as above.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote, urlsplit

from .errors import SSEConfigError
from .names import HUB_NAMESPACE

# The oldest Redis the scripts run on (XADD ... MINID, GETEX, ZRANGE ... BYLEX).
MIN_REDIS_VERSION: Final = (6, 2)


def parse_version(text: str) -> tuple[int, ...]:
    """``(7, 2, 4)`` from ``"7.2.4"``; ``()`` when ``text`` is no version."""
    parts = []
    for part in text.strip().split("."):
        if not (part.isascii() and part.isdigit()):
            break
        parts.append(int(part))
    return tuple(parts)


def too_old(version: tuple[int, ...]) -> bool:
    """Whether a Redis of ``version`` is older than the scripts need (unknown: no)."""
    return bool(version) and version < MIN_REDIS_VERSION


DEFAULT_PREFIX: Final = "jupyter_sse:"
LIVE_SUFFIX: Final = "}:live"

_GLOB_SPECIAL: Final = frozenset("*?[]\\")


def tenant_prefix(prefix: str, tenant: str) -> str:
    """Where ``tenant``'s keys start: ``prefix`` itself for no tenant."""
    # quote() leaves only letters, digits and _.-~: no brace (a hash tag), no glob
    # character (a wider ACL or pub/sub pattern), no ':' (another tenant's boundary).
    return prefix + "t:" + quote(tenant, safe="") + ":" if tenant else prefix


def hub_prefix(prefix: str) -> str:
    """Where the hub-wide namespace's keys start."""
    return prefix + "hub:"


def glob_escaped(text: str) -> str:
    """``text`` as a literal in a Redis glob pattern (PSUBSCRIBE, ACL)."""
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in text)


class KeyLayout:
    """The key names of one tenant (``""``: none) under one prefix."""

    __slots__ = (
        "config",
        "epoch",
        "hub",
        "hub_registry",
        "live_patterns",
        "prefix",
        "registry",
        "root",
        "seq",
        "tenant",
    )

    def __init__(self, prefix: str = DEFAULT_PREFIX, tenant: str = "") -> None:
        # A brace in the prefix would become the hash tag of every key and put all
        # channels in one slot; a glob character would widen the pub/sub pattern.
        if not prefix or any(c in prefix for c in "{}") or any(c.isspace() for c in prefix):
            raise SSEConfigError(
                f"invalid Redis key prefix {prefix!r}: use a non-empty string without braces "
                f"or spaces, such as {DEFAULT_PREFIX!r}"
            )
        self.root = prefix
        self.tenant = tenant
        self.prefix = tenant_prefix(prefix, tenant)
        self.seq = prefix + "seq"
        self.epoch = prefix + "epoch"
        self.registry = self.prefix + "channels"
        self.config = self.prefix + "config"
        # The hub-wide namespace exists where tenants do: without them every channel is
        # the one server's (or the one team's) anyway.
        self.hub = hub_prefix(prefix) if tenant else None
        self.hub_registry = self.hub + "channels" if self.hub else None
        self.live_patterns = [glob_escaped(self.prefix) + "{*" + LIVE_SUFFIX]
        if self.hub:
            self.live_patterns.append(glob_escaped(self.hub) + "{*" + LIVE_SUFFIX)

    @property
    def live_pattern(self) -> str:
        """The pub/sub pattern of this tenant's own channels."""
        return self.live_patterns[0]

    def is_hub(self, channel: str) -> bool:
        """True for a channel of the hub-wide namespace (whose events carry an author)."""
        return self.hub is not None and channel.startswith(HUB_NAMESPACE)

    def space(self, channel: str) -> str:
        """The prefix ``channel``'s keys live under: the hub's, or this tenant's."""
        return self.hub if self.hub is not None and self.is_hub(channel) else self.prefix

    def presence(self, space: str) -> tuple[str, str, str]:
        """The presence hash, its expiry set and its revision counter in ``space`` (this
        tenant's prefix, or the hub's): servers that share a space see each other's
        watchers there."""
        return space + "presence", space + "presence:exp", space + "presence:rev"

    @property
    def spaces(self) -> list[str]:
        """Where this tenant's channels live: its own prefix, then the hub's (if any)."""
        return [self.prefix] if self.hub is None else [self.prefix, self.hub]

    def registry_of(self, space: str) -> str:
        """The channel registry of ``space``."""
        return space + "channels"

    def claim(self, name: str) -> str:
        """The key a server sets to take the job ``name`` before any other server does."""
        return f"{self.prefix}claim:{name}"

    def base(self, channel: str) -> str:
        """The common start of every key of ``channel``: ``<space>{channel}:``."""
        return f"{self.space(channel)}{{{channel}}}:"

    def live(self, channel: str) -> str:
        """The pub/sub channel that carries ``channel``'s frames."""
        return f"{self.space(channel)}{{{channel}{LIVE_SUFFIX}"

    def channel_of(self, live_name: bytes) -> str | None:
        """The event channel of a pub/sub channel name, or None if it is not one of ours:
        outside this tenant and the hub, or a hub channel in a tenant's space (which
        would let a tenant write where every tenant reads)."""
        name = live_name.decode("utf-8", "replace")
        if not name.endswith(LIVE_SUFFIX):
            return None
        for space in (self.prefix, self.hub):
            if space is not None and name.startswith(space + "{"):
                channel = name[len(space) + 1 : -len(LIVE_SUFFIX)]
                return channel if channel and self.space(channel) == space else None
        return None


def redacted(url: str) -> str:
    """``url`` without credentials, for messages and logs."""
    parts = urlsplit(url)
    if parts.hostname is None:
        return f"{parts.scheme}://{parts.path}"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"
