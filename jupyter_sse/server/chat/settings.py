"""The settings of chat and presence (``c.SSEApp.chat_*``, ``c.SSEApp.presence_*``).
``SSEApp`` inherits them, so they are set and listed like every other ``SSEApp``
setting; they live here, next to the code that reads them."""

from __future__ import annotations

from typing import Any

from traitlets import Float, HasTraits, Int, TraitError, validate

from ...wire.bounds import DEFAULT_CHAT_SNAPSHOT_MESSAGES


class ChatSettings(HasTraits):
    """Settings of ``sse/chat`` and of presence."""

    chat_max_chars = Int(
        4000,
        config=True,
        help="""Longest chat message, in characters (default 4000); longer: 400.""",
    )
    chat_rate_limit = Float(
        1.0,
        config=True,
        help="""Chat messages, edits and deletes per second one person may send, on
        average (default 1; 0: no limit). Over it: 429 with Retry-After. A person is a
        Jupyter user (or token), or a viewer link.""",
    )
    chat_rate_burst = Int(
        5,
        config=True,
        help="""Chat messages one person may send at once before chat_rate_limit applies
        (default 5).""",
    )
    chat_snapshot_messages = Int(
        DEFAULT_CHAT_SNAPSHOT_MESSAGES,
        config=True,
        help=f"""Last chat messages of a channel kept for the snapshot a new viewer gets,
        with their edits and deletes applied (default {DEFAULT_CHAT_SNAPSHOT_MESSAGES});
        within snapshot_bytes too. Only these may still be edited or deleted. Older ones
        stay in the channel's history while it holds them.""",
    )
    presence_ttl = Float(
        10.0,
        config=True,
        help="""Seconds a server's watchers stay listed in Redis without being renewed
        (default 10; each server renews its own every second): the watchers of a server
        that died disappear within this. With the embedded broker, presence is the
        server's own and needs none.""",
    )
    presence_max_watchers = Int(
        50,
        config=True,
        help="""Watchers a `presence` event (or a snapshot) lists, longest watching first
        (default 50); its `count` says how many there are in all.""",
    )

    @validate(
        "chat_max_chars", "chat_rate_burst", "chat_snapshot_messages", "presence_max_watchers"
    )
    def _at_least_one(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 1:
            raise TraitError(f"SSEApp.{proposal['trait'].name} must be at least 1, got {value}")
        return value

    @validate("chat_rate_limit")
    def _rate(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value < 0:
            raise TraitError(f"SSEApp.chat_rate_limit may not be negative, got {value}")
        return value

    @validate("presence_ttl")
    def _ttl(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value < 2:
            # Entries are renewed every second: a shorter ttl would drop live servers.
            raise TraitError(f"SSEApp.presence_ttl must be at least 2 seconds, got {value}")
        return value
