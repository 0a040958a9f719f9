"""Where published events go: the ``Transport`` protocol, HTTP and Redis, and discovery.

``base`` says what a transport is; ``http`` (with ``websocket``, its publish socket's
client) and ``redis`` are the two there are;
``discovery`` picks one from the environment, and finds the running server.
"""

from .base import BatchRefused, Rejected, RetryLater, Transport, TransportError
from .discovery import HOW_TO_CONFIGURE, ancestors, discover, find_runtime_file, find_server
from .http import HTTPTransport

__all__ = [
    "HOW_TO_CONFIGURE",
    "BatchRefused",
    "HTTPTransport",
    "Rejected",
    "RetryLater",
    "Transport",
    "TransportError",
    "ancestors",
    "discover",
    "find_runtime_file",
    "find_server",
]
