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
    jupyter_sse:{train/run-1}:h           history: stream, ids ``<seq>-0``, fields f=frame t=ts
    jupyter_sse:{train/run-1}:m           hash: n (events), t (last ts), ev (last evicted seq)
    jupyter_sse:{train/run-1}:i:<id>      idempotency key -> cursor, with a TTL
    jupyter_sse:{train/run-1}:sp, :ss, :so     latest progress / status / other by key (hash)
    jupyter_sse:{train/run-1}:sp:o, ...   the same keys scored by last update (eviction order)
    jupyter_sse:{train/run-1}:sm, :sl     last metric points / log lines (list)
    jupyter_sse:{train/run-1}:st          table names scored by last update
    jupyter_sse:{train/run-1}:st:<table>  newest rows of one table (list)
    jupyter_sse:{train/run-1}:live        pub/sub channel: a message is one or more frames, in order

Every per-channel key carries the channel in a ``{hash tag}``, so all of a channel's
keys (and its pub/sub channel) map to one Redis Cluster slot. The Lua scripts build
the per-channel names from the same ``prefix{channel}:`` base; this module and
``redis_scripts`` must agree on the suffixes.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from .errors import SSEConfigError

DEFAULT_PREFIX: Final = "jupyter_sse:"
LIVE_SUFFIX: Final = "}:live"

_GLOB_SPECIAL: Final = frozenset("*?[]\\")


class KeyLayout:
    """The key names under one prefix."""

    __slots__ = ("config", "epoch", "live_pattern", "prefix", "registry", "seq")

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        # A brace in the prefix would become the hash tag of every key and put all
        # channels in one slot; a glob character would widen the pub/sub pattern.
        if not prefix or any(c in prefix for c in "{}") or any(c.isspace() for c in prefix):
            raise SSEConfigError(
                f"invalid Redis key prefix {prefix!r}: use a non-empty string without braces "
                f"or spaces, such as {DEFAULT_PREFIX!r}"
            )
        self.prefix = prefix
        self.seq = prefix + "seq"
        self.epoch = prefix + "epoch"
        self.registry = prefix + "channels"
        self.config = prefix + "config"
        escaped = "".join("\\" + c if c in _GLOB_SPECIAL else c for c in prefix)
        self.live_pattern = escaped + "{*" + LIVE_SUFFIX

    def claim(self, name: str) -> str:
        """The key a server sets to take the job ``name`` before any other server does."""
        return f"{self.prefix}claim:{name}"

    def base(self, channel: str) -> str:
        """The common start of every key of ``channel``: ``prefix{channel}:``."""
        return f"{self.prefix}{{{channel}}}:"

    def live(self, channel: str) -> str:
        """The pub/sub channel that carries ``channel``'s frames."""
        return f"{self.prefix}{{{channel}{LIVE_SUFFIX}"

    def channel_of(self, live_name: bytes) -> str | None:
        """The event channel of a pub/sub channel name, or None if it is not one of ours."""
        name = live_name.decode("utf-8", "replace")
        start = len(self.prefix) + 1
        if not name.startswith(self.prefix + "{") or not name.endswith(LIVE_SUFFIX):
            return None
        return name[start : -len(LIVE_SUFFIX)] or None


def redacted(url: str) -> str:
    """``url`` without credentials, for messages and logs."""
    parts = urlsplit(url)
    if parts.hostname is None:
        return f"{parts.scheme}://{parts.path}"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"
