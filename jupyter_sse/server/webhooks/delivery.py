"""``WebhookSender``: one webhook's queue, and the task that POSTs it, with retries.

- ``put`` never waits: events wait in a queue of ``webhook_queue_size``; past it the
  oldest is dropped and counted. Nothing a receiver does (refuse, time out, hang) can
  slow a stream or the event loop: each webhook has its own task and HTTP client, and
  each POST gives up after ``webhook_timeout`` seconds.
- A POST that fails for a reason that may pass (no connection, a timeout, 408, 429, a
  5xx) is retried ``webhook_retries`` times, 1 s after the first failure and twice as
  long after each next one (at most 60 s; a ``Retry-After`` of up to 300 s is obeyed);
  any other answer (400, 403, 404...) is final: repeating it would not change it.
- Events go out in order, one at a time: a webhook that is down holds its own queue,
  and no other webhook's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ...wire.errors import describe
from .config import Webhook
from .formats import Delivery, render

BACKOFF_FIRST: Final = 1.0  # seconds before the first retry; doubled up to BACKOFF_MAX
BACKOFF_MAX: Final = 60.0
RETRY_AFTER_MAX: Final = 300.0  # seconds of a receiver's Retry-After that are obeyed
RETRYABLE: Final = frozenset({408, 425, 429, 500, 502, 503, 504})

Outcome = Literal["delivered", "retried", "failed", "dropped", "skipped"]
# Told of every outcome of every webhook (``Webhooks.on_outcome``): a seam for metrics.
OutcomeHook = Callable[[Webhook, Outcome], None]
# Whether this server delivers an event (a Redis broker lets one server of many claim it).
Claim = Callable[[str], Awaitable[bool]]


@dataclass
class WebhookStats:
    """Counters of one webhook since the server started."""

    delivered: int = 0  # POSTs the receiver accepted (2xx)
    retried: int = 0  # attempts that failed and were tried again
    failed: int = 0  # events given up on: a final refusal, or every retry failed
    dropped: int = 0  # events pushed out of a full queue, never sent
    skipped: int = 0  # events another server (sharing the Redis) delivers


class _Final(Exception):
    """The receiver's answer will not change: do not retry."""


class WebhookSender:
    """POSTs the events ``put`` to it to one webhook, in order, off the caller's path."""

    def __init__(
        self,
        hook: Webhook,
        *,
        queue_size: int,
        timeout: float,
        retries: int,
        claim: Claim | None,
        log: logging.Logger,
        on_outcome: OutcomeHook,
    ) -> None:
        self.hook = hook
        self.stats = WebhookStats()
        self._queue: deque[Delivery] = deque(maxlen=queue_size)
        self._timeout = timeout
        self._retries = retries
        self._claim = claim
        self._log = log
        self._on_outcome = on_outcome
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: AsyncHTTPClient | None = None
        self._dropping = False

    def put(self, event: Delivery) -> None:
        """Queue ``event``; never blocks. A full queue drops its oldest event."""
        if len(self._queue) == self._queue.maxlen:
            self._count("dropped")
            if not self._dropping:
                self._dropping = True
                self._log.warning(
                    "jupyter_sse: %s is behind; its queue of %d is full and the oldest "
                    "events are dropped (c.SSEApp.webhook_queue_size)",
                    self.hook.label,
                    self._queue.maxlen,
                )
        self._queue.append(event)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            # One client per webhook: a receiver that hangs holds its own connection only.
            self._client = AsyncHTTPClient(force_instance=True, max_clients=1)
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._dropping = False
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._deliver(self._queue.popleft())

    async def _deliver(self, event: Delivery) -> None:
        if self._claim is not None and not await self._claim(f"{self.hook.key}:{event.id}"):
            self._count("skipped")
            return
        body, headers = render(self.hook, event)
        delay = BACKOFF_FIRST
        for attempt in range(self._retries + 1):
            try:
                wait = await self._post(body, headers)
            except _Final as e:
                self._give_up(event, str(e))
                return
            if wait is None:
                self._count("delivered")
                return
            if attempt == self._retries:
                self._give_up(event, f"{self._retries + 1} attempts failed")
                return
            self._count("retried")
            await asyncio.sleep(max(delay, wait))
            delay = min(delay * 2, BACKOFF_MAX)

    async def _post(self, body: bytes, headers: dict[str, str]) -> float | None:
        """None when delivered; else how long the receiver asked to wait (0: no wish)."""
        assert self._client is not None
        request = HTTPRequest(
            self.hook.url,
            method="POST",
            body=body,
            headers=headers,
            request_timeout=self._timeout,
            connect_timeout=self._timeout,
            follow_redirects=False,
        )
        try:
            await self._client.fetch(request)
            return None
        except HTTPClientError as e:
            # tornado's messages name the status or the failure, never the URL.
            if e.code == 599 or e.code in RETRYABLE:
                self._log.info("jupyter_sse: %s: %s; retrying", self.hook.label, describe(e))
                return _retry_after(e)
            raise _Final(f"the receiver answered {e.code}") from None
        except OSError as e:  # refused, reset, unreachable, or the name did not resolve
            self._log.info("jupyter_sse: %s: %s; retrying", self.hook.label, describe(e))
            return 0.0

    def _give_up(self, event: Delivery, why: str) -> None:
        self._count("failed")
        self._log.warning(
            "jupyter_sse: %s: %s event %s of %s not delivered: %s",
            self.hook.label,
            event.type,
            event.id,
            event.channel,
            why,
        )

    def _count(self, outcome: Outcome) -> None:
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        self._on_outcome(self.hook, outcome)


def _retry_after(error: HTTPClientError) -> float:
    response = error.response
    value = response.headers.get("Retry-After") if response is not None else None
    if value is not None and value.strip().isdigit():
        return min(float(value), RETRY_AFTER_MAX)
    return 0.0
