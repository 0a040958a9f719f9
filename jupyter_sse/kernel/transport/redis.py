"""Publishing straight to Redis, for kernels and scripts when ``JUPYTER_SSE_REDIS_URL`` is set.

It runs the server's own ``PUBLISH`` script, so an event published here is stored,
numbered and fanned out exactly as one published through ``POST sse/publish``: every
server subscribed to the same Redis delivers it to its streams. Batching, coalescing
and retries are the publisher's (``jupyter_sse.kernel.publisher``); this module sends one
batch as one script call, which is atomic: all of the batch or none of it.

``JUPYTER_SSE_REDIS_PREFIX`` sets the key prefix when the servers use another one
than ``jupyter_sse:``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from typing import Final

import redis
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    NoPermissionError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from ...wire.errors import SSEConfigError, describe
from ...wire.events import EventIn
from ...wire.redis_keys import DEFAULT_PREFIX, KeyLayout, redacted
from ...wire.redis_scripts import PUBLISH, publish_args, publish_keys
from ...wire.runtime import REDIS_PREFIX_ENV, REDIS_URL_ENV
from .base import BatchRefused, Rejected, RetryLater

TIMEOUT: Final = 10.0  # seconds to connect, and to wait for an answer

# Answers that say "not now" rather than "never": Redis is loading its data, busy with
# a long script, a read-only replica after a failover, or out of memory.
_TRANSIENT: Final = frozenset(
    {"LOADING", "BUSY", "READONLY", "OOM", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}
)


class RedisTransport:
    """Sends batches with the ``PUBLISH`` script over one synchronous redis-py client."""

    def __init__(self, url: str, *, prefix: str | None = None, timeout: float = TIMEOUT) -> None:
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                # A retried script whose first answer was lost would publish twice; the
                # publisher retries with the same idempotency ids instead.
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as e:
            raise SSEConfigError(
                f"{REDIS_URL_ENV} must be a Redis URL such as redis://localhost:6379/0: {e}"
            ) from None
        self._where = redacted(url)
        self._keys = KeyLayout(prefix or os.environ.get(REDIS_PREFIX_ENV) or DEFAULT_PREFIX)
        self._script = self._client.register_script(PUBLISH)

    @property
    def description(self) -> str:
        """The Redis URL without its password."""
        return self._where

    def send(self, batch: Sequence[bytes]) -> list[str]:
        """Publish ``batch`` (encoded event objects) in one script call; the ids, in order."""
        try:
            events: list[EventIn] = [json.loads(item) for item in batch]
            args = publish_args(self._keys, secrets.token_hex(4), events)
        except (ValueError, KeyError, TypeError) as e:
            raise BatchRefused(f"batch cannot be published: {e}", 400) from None
        try:
            ids = self._script(keys=publish_keys(self._keys), args=args)
        except (RedisConnectionError, RedisTimeoutError) as e:
            raise RetryLater(f"Redis unreachable at {self._where}: {e}") from None
        except (AuthenticationError, NoPermissionError) as e:
            raise Rejected(
                f"Redis at {self._where} refused us: {e}; check the URL's password"
            ) from None
        except ResponseError as e:
            if _transient(e):
                raise RetryLater(f"Redis at {self._where} is not ready: {describe(e)}") from None
            raise Rejected(f"Redis at {self._where} refused the publish script: {e}") from None
        except RedisError as e:
            raise RetryLater(f"Redis at {self._where}: {e}") from None
        if not isinstance(ids, list) or len(ids) != len(batch):
            raise RetryLater(f"unexpected answer from Redis at {self._where}: {ids!r:.200}")
        return [i.decode() for i in ids]

    def close(self) -> None:
        """Close the connections; the next ``send`` opens a new one."""
        self._client.close()


def _transient(error: ResponseError) -> bool:
    # redis-py strips the error code from the message and keeps it as `status_code`
    # (older versions: only in the class, e.g. OutOfMemoryError).
    code = getattr(error, "status_code", None) or str(error).partition(" ")[0]
    return code in _TRANSIENT or type(error).__name__ == "OutOfMemoryError"
