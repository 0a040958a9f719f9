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
