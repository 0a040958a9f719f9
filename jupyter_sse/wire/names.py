"""Names on the wire: channels, subscription patterns, event types and idempotency ids.

The browser mirrors the channel and pattern rules (``js/src/lib/sse/patterns.ts``) so
that a dashboard can refuse a bad name before asking; ``tests/wire/name_cases.json``
pins both sides to the same cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from .errors import SSEValueError

CHANNEL_RE: Final = re.compile(r"[A-Za-z0-9_.:/-]{1,128}")
TYPE_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# A publisher's idempotency key for one event (``"id"`` of a published event).
EVENT_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

# Channels every user of a JupyterHub reads, written by servers on their users' behalf
# (each event's author stamped by the server that wrote it).
HUB_NAMESPACE: Final = "hub/"

# Types the server emits itself; a publisher may not forge them, or a client could be
# told to drop its state (`reset`) by anyone allowed to publish.
CONTROL_TYPES: Final = frozenset({"snapshot", "reset", "error"})

# Types only the server writes: chat goes through ``sse/chat``, which stamps its author
# from the caller's identity, and presence is what the server knows of its streams. A
# publisher that could send them could speak as anyone, or show watchers who are not.
SERVER_TYPES: Final = frozenset({"chat", "chat_edit", "chat_delete", "presence"})

# The server's own channels live here (``jupyter/system``, ``jupyter/activity``,
# ``jupyter/events/...``): only the server writes to them, so a viewer can trust that
# what they carry comes from the server, never from a kernel or a script.
RESERVED_PREFIX: Final = "jupyter/"


def is_channel(name: object) -> bool:
    """True when ``name`` is a valid channel name (not a pattern)."""
    return isinstance(name, str) and CHANNEL_RE.fullmatch(name) is not None


def is_type(name: object) -> bool:
    """True when ``name`` is a valid event type name."""
    return isinstance(name, str) and TYPE_RE.fullmatch(name) is not None


def check_channel(name: object) -> str:
    """Return ``name`` if it is a valid channel, else raise ``SSEValueError``."""
    if not is_channel(name):
        raise SSEValueError(
            f"invalid channel {name!r}: use 1-128 characters of A-Z a-z 0-9 _ . : / -"
        )
    return name  # type: ignore[return-value]


def check_type(name: object) -> str:
    """Return ``name`` if it may be published as an event type, else raise."""
    if not is_type(name):
        raise SSEValueError(f"invalid type {name!r}: use 1-64 characters of A-Z a-z 0-9 _ . -")
    if name in CONTROL_TYPES:
        raise SSEValueError(f"type {name!r} is reserved for the server; pick another name")
    return name  # type: ignore[return-value]


def check_publishable_type(name: object) -> str:
    """Return ``name`` if a publisher (a kernel, a script, ``sse/publish``) may send it."""
    check_type(name)
    if name in SERVER_TYPES:
        raise SSEValueError(
            f"type {name!r} is written by the server only: people chat through sse/chat, "
            "which stamps who wrote each message; a kernel publishes notify or log instead"
        )
    return name  # type: ignore[return-value]


def is_reserved(channel: str) -> bool:
    """True when ``channel`` is in the namespace only the server publishes to."""
    return channel.startswith(RESERVED_PREFIX)


def check_publishable(channel: str) -> str:
    """Return ``channel`` if a kernel or a script may publish to it, else raise."""
    if is_reserved(channel):
        raise SSEValueError(
            f"channel {channel!r} is in the {RESERVED_PREFIX} namespace, which only the "
            "Jupyter server publishes to; pick a name outside it"
        )
    return channel


def check_pattern(pattern: object) -> str:
    """Validate a subscription: a channel name, or a prefix followed by one final ``*``."""
    if isinstance(pattern, str) and pattern.endswith("*"):
        prefix = pattern[:-1]
        if prefix == "" or is_channel(prefix):
            return pattern
    elif is_channel(pattern):
        return pattern  # type: ignore[return-value]
    raise SSEValueError(
        f"invalid channel {pattern!r}: a channel name, or a prefix ending in '*' (e.g. 'train/*')"
    )


def pattern_matches(pattern: str, channel: str) -> bool:
    """True when subscription ``pattern`` covers ``channel``."""
    if pattern.endswith("*"):
        return channel.startswith(pattern[:-1])
    return pattern == channel


def covered(patterns: Sequence[str], channel: str) -> bool:
    """True when any of subscription ``patterns`` covers ``channel``."""
    return any(pattern_matches(p, channel) for p in patterns)


def scope_covers(scope: Sequence[str], pattern: str) -> bool:
    """True when every channel ``pattern`` can match is inside one of ``scope``'s patterns."""
    for allowed in scope:
        if allowed.endswith("*"):
            if pattern.startswith(allowed[:-1]):
                return True
        elif allowed == pattern:
            return True
    return False


def matching(patterns: Sequence[str], channels: Sequence[str]) -> list[str]:
    """The channels (in the given order) covered by any of ``patterns``."""
    return [c for c in channels if covered(patterns, c)]


def explicit_channels(patterns: Sequence[str]) -> list[str]:
    """The plain channel names (not ``*`` patterns) of a subscription."""
    return [p for p in patterns if not p.endswith("*")]
