"""``Webhooks``: the webhooks of one server, started and stopped with its services."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..broker.base import Broker
from .config import Webhook
from .delivery import Outcome, OutcomeHook, WebhookSender, WebhookStats
from .feed import WebhookFeed

CLAIM_TTL = 24 * 3600.0  # seconds a Redis broker remembers which server took an event


class Webhooks:
    """Subscribes to the broker for the events the webhooks want, and sends them.

    ``on_outcome`` (a ``(webhook, outcome)`` callable, or None) is told of each
    delivery, retry, failure, drop and skip: the seam for counting them elsewhere (a
    metrics exporter); ``stats()`` gives the same counts per webhook.
    """

    def __init__(
        self,
        broker: Broker,
        hooks: Sequence[Webhook],
        *,
        queue_size: int,
        timeout: float,
        retries: int,
        log: logging.Logger,
    ) -> None:
        self._broker = broker
        self.on_outcome: OutcomeHook | None = None

        async def claim(name: str) -> bool:
            return await broker.claim(name, CLAIM_TTL)

        self.senders = [
            WebhookSender(
                hook,
                queue_size=queue_size,
                timeout=timeout,
                retries=retries,
                claim=claim,
                log=log,
                on_outcome=self._outcome,
            )
            for hook in hooks
        ]
        self._feed = WebhookFeed(self.senders) if self.senders else None

    def _outcome(self, hook: Webhook, outcome: Outcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(hook, outcome)

    def stats(self) -> dict[str, WebhookStats]:
        """The counters of each webhook, by its label (never its URL)."""
        return {sender.hook.label: sender.stats for sender in self.senders}

    async def start(self) -> None:
        if self._feed is None:
            return
        for sender in self.senders:
            sender.start()
        await self._broker.subscribe(self._feed, None)

    async def stop(self) -> None:
        if self._feed is not None:
            self._broker.unsubscribe(self._feed)
        for sender in self.senders:
            await sender.stop()
