"""The one error family of the Python API: every message says what to do about it."""

from __future__ import annotations


class SSEError(Exception):
    """Base class of every error raised by ``jupyter_sse``."""


class SSEValueError(SSEError, ValueError):
    """A name or a payload that the stream cannot carry (bad channel, type or data)."""


class SSEConfigError(SSEError):
    """No way to reach a server or Redis was found; the message lists how to set one."""


class SSEDeliveryError(SSEError):
    """Queued events could not be delivered in time (server down, token refused)."""


def describe(error: BaseException) -> str:
    """An error as ``Type: message`` (or just ``Type``), for messages, health and logs."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
