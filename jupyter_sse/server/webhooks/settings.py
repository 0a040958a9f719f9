"""The webhook settings: ``c.SSEApp.webhooks`` and how they are delivered. ``SSEApp``
inherits them, so they are set and listed like every other ``SSEApp`` setting; they
live here, next to the code that reads them."""

from __future__ import annotations

from typing import Any

from traitlets import Dict, Float, HasTraits, Int, List, TraitError, validate

from ...wire.errors import SSEConfigError
from .config import parse_webhooks


class WebhookSettings(HasTraits):
    """Settings of the webhooks (``server/webhooks``)."""

    webhooks = List(
        Dict(),
        config=True,
        help="""Webhooks the server POSTs chosen events to (default: none). Each is a dict:
        `url` (required), `format` ("generic", "slack", "discord" or "ntfy"; default
        generic), `channels` (patterns; default ["*"]), `types` (default ["notify"]),
        `levels` (of notify and log events; default ["warning", "error"]; an alert,
        `ch.alert(...)`, passes whatever its level), `headers`, `secret` (generic: signs
        the body), `topic` (ntfy: required), `name` (for logs). See the README's
        "Alerts out". URLs, headers and secrets are never logged.""",
    )
    webhook_queue_size = Int(
        100,
        config=True,
        help="""Events one webhook may have waiting to be sent (default 100). Past it the
        oldest is dropped (and counted): a receiver that is down for long costs the
        server this many events of memory, no more.""",
    )
    webhook_timeout = Float(
        10.0,
        config=True,
        help="""Seconds one POST to a webhook may take, connecting included (default 10);
        then it counts as failed and is retried.""",
    )
    webhook_retries = Int(
        5,
        config=True,
        help="""Times a failed POST is tried again (default 5), 1 s after the first
        failure, then twice as long each time (at most 60 s); 0: never.""",
    )

    @validate("webhooks")
    def _webhooks(self, proposal: dict[str, Any]) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = proposal["value"]
        try:
            parse_webhooks(value)
        except SSEConfigError as e:
            raise TraitError(str(e)) from None
        return value

    @validate("webhook_queue_size")
    def _queue_size(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 1:
            raise TraitError(f"SSEApp.webhook_queue_size must be at least 1, got {value}")
        return value

    @validate("webhook_timeout")
    def _timeout(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value <= 0:
            raise TraitError(f"SSEApp.webhook_timeout must be more than 0 s, got {value}")
        return value

    @validate("webhook_retries")
    def _retries(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 0:
            raise TraitError(f"SSEApp.webhook_retries may not be negative, got {value}")
        return value
