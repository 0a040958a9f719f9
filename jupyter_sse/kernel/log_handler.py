"""``LogHandler``: Python's ``logging`` into a channel, as ``log`` events.

- **Never blocks**: ``emit`` only queues (``Publisher.publish``); the sender thread
  delivers. A full queue drops the oldest events, as for every publish.
- **Never recurses**: the publisher reports its own trouble through the ``jupyter_sse``
  logger and from its sender thread; a record from either is not published (it would
  feed itself: a failed send logs, the log is sent, fails, logs …). A record logged
  while this handler is publishing on the same thread is skipped too.
- **Never raises into the caller**: a publish that fails (no server to publish to, a
  record too large) is counted in ``failed`` and told once on stderr, not per record.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, Final

from ..wire.bounds import DEFAULT_MAX_EVENT_BYTES
from ..wire.events import Level
from .publisher import Publisher
from .sender import THREAD_NAME

OWN_LOGGER: Final = "jupyter_sse"
# Room left in an event for its other fields when the text is cut to fit.
MAX_TEXT_CHARS: Final = DEFAULT_MAX_EVENT_BYTES // 2


def level_name(levelno: int) -> Level:
    """The ``log`` event level of a ``logging`` level number."""
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


class LogHandler(logging.Handler):
    """Publishes each record to ``channel`` as a ``log`` event::

        logging.getLogger().addHandler(sse.LogHandler("train/run-1", level=logging.INFO))

    The event's data: ``text`` (the formatted message; with the traceback when the
    record has one), ``level`` (debug, info, warning, error), ``logger`` (the record's
    logger name), and ``exception`` (the traceback alone) when there is one. Set a
    ``Formatter`` to shape ``text``. ``publisher``: the process's default one unless
    given.
    """

    def __init__(
        self,
        channel: str,
        level: int | str = logging.NOTSET,
        *,
        publisher: Publisher | None = None,
    ) -> None:
        # Imported here: Channel checks the name once, as every channel does.
        from .channel import Channel

        super().__init__(level)
        self.channel = Channel(channel, publisher=publisher)
        self.failed = 0  # records that could not be queued
        self._inside = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == OWN_LOGGER or record.name.startswith(OWN_LOGGER + "."):
            return
        if record.threadName == THREAD_NAME or getattr(self._inside, "active", False):
            return
        self._inside.active = True
        try:
            self.channel.publish("log", self.event_data(record))
        except Exception as e:
            # SSEError (nowhere to publish, an event too large), or a formatter or an
            # argument's str() that raises: logging's rule is that a handler never
            # raises into the code that logged.
            self._fail(e)
        finally:
            self._inside.active = False

    def event_data(self, record: logging.LogRecord) -> dict[str, Any]:
        """The data of the ``log`` event for ``record``."""
        text = self.format(record)
        data: dict[str, Any] = {
            "text": text[:MAX_TEXT_CHARS],
            "level": level_name(record.levelno),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            # format() cached the traceback on the record (``exc_text``).
            data["exception"] = (record.exc_text or "")[:MAX_TEXT_CHARS]
        return data

    def _fail(self, error: Exception) -> None:
        self.failed += 1
        if self.failed == 1:
            # stderr, not a logger: a log call here would come straight back.
            print(
                f"jupyter_sse: LogHandler({self.channel.name!r}) cannot publish: {error} "
                "(told once; LogHandler.failed counts the records lost)",
                file=sys.stderr,
            )

    def __repr__(self) -> str:
        return f"<LogHandler {self.channel.name} ({logging.getLevelName(self.level)})>"
