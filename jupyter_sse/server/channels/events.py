"""``jupyter/events/<name>``: jupyter_server's event bus, bridged onto channels.

jupyter_server emits structured events (``jupyter_events``): contents saved, renamed,
deleted; kernels started, restarted, shut down; and whatever schemas extensions
register. Its own ``api/events/subscribe`` is a WebSocket of every event, with no filter
and no replay. Here each event becomes an event of the channel of its schema
(``wire.server_channels.events_channel``), with history, resume, snapshots and
patterns like any channel.

The bridge is a logging handler of the event logger, not a listener: a listener is
added per schema registered so far, and a handler sees every schema, including those an
extension registers later. It runs inside ``emit``, after the event logger's modifiers
(which may redact fields) and validation, and only queues.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from ...wire.errors import SSEValueError
from ...wire.server_channels import BusEvent, bus_event_type, events_channel
from .publisher import ServerPublisher

BusListener = Callable[[str, dict[str, Any]], None]


class EventBusBridge(logging.Handler):
    """Publishes every event of ``event_logger`` on its channel; tells ``listeners`` too."""

    def __init__(self, event_logger: Any, publisher: ServerPublisher, log: logging.Logger) -> None:
        super().__init__()
        self._event_logger = event_logger
        self._publisher = publisher
        self._log = log
        self._listeners: dict[str, list[BusListener]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def listen(self, schema_id: str, listener: BusListener) -> None:
        """Call ``listener(schema_id, event)`` for each event of ``schema_id``."""
        self._listeners.setdefault(schema_id, []).append(listener)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._event_logger.register_handler(self)

    def stop(self) -> None:
        self._event_logger.remove_handler(self)
        self._loop = None

    def emit(self, record: logging.LogRecord) -> None:
        capsule = record.msg
        loop = self._loop
        if not isinstance(capsule, dict) or loop is None:
            return
        if threading.get_ident() == self._thread:
            self._bridge(capsule)
        else:
            # An extension may emit from a thread of its own; the broker is the loop's.
            loop.call_soon_threadsafe(self._bridge, capsule)

    def _bridge(self, capsule: dict[str, Any]) -> None:
        schema_id = capsule.get("__schema__")
        if not isinstance(schema_id, str):
            return
        # The capsule is the event's fields plus jupyter_events' own "__...__" ones.
        event = {k: v for k, v in capsule.items() if not (k.startswith("__") and k.endswith("__"))}
        data: BusEvent = {
            "schema_id": schema_id,
            "version": capsule.get("__schema_version__", ""),
            "event": event,
        }
        try:
            self._publisher.publish(events_channel(schema_id), bus_event_type(event), data)
        except SSEValueError as e:  # data that JSON cannot carry (a schema allows anything)
            self._log.warning("jupyter_sse: event of %s not bridged: %s", schema_id, e)
        for listener in self._listeners.get(schema_id, ()):
            listener(schema_id, event)
