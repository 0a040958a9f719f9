"""The process's shared publisher: what ``sse.publish``, ``sse.flush``, ``sse.stats``
and every channel created without a publisher send through."""

from __future__ import annotations

import atexit
import threading
from typing import Any

from .publisher import EXIT_FLUSH_TIMEOUT, Publisher, Stats

_default_lock = threading.Lock()
_default: list[Publisher] = []  # at most one; created by the first publish


def default_publisher() -> Publisher:
    """The process's shared publisher, created on first use and flushed briefly at exit."""
    if not _default:
        with _default_lock:
            if not _default:
                publisher = Publisher()
                atexit.register(publisher.close, EXIT_FLUSH_TIMEOUT)
                _default.append(publisher)
    return _default[0]


def publish(channel: str, type: str, data: Any) -> None:
    """Queue one event on ``channel``; never blocks (see ``Publisher.publish``)."""
    default_publisher().publish(channel, type, data)


def flush(timeout: float = 10.0) -> None:
    """Wait until everything published so far was delivered (see ``Publisher.flush``)."""
    default_publisher().flush(timeout)


def stats() -> Stats:
    """Counters of the default publisher: queued, sent, dropped, failed, last error."""
    return default_publisher().stats()
