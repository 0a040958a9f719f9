"""Stream live results from Jupyter over Server-Sent Events.

    import jupyter_sse as sse
    ch = sse.channel("train/run-1")
    ch.metric(step=1, loss=0.5)
    for batch in ch.progress(loader, label="epoch 1"): ...

Kept light on purpose: kernels import it to publish, so nothing of the server side
(jupyter_server, tornado) nor of the widgets (anywidget) is imported here.
"""

from __future__ import annotations

from typing import Any

from .channel import Channel
from .default import flush, publish, stats
from .errors import SSEConfigError, SSEDeliveryError, SSEError, SSEValueError
from .publisher import Publisher
from .share import share

__version__ = "0.1.0"

__all__ = [
    "Channel",
    "Publisher",
    "SSEConfigError",
    "SSEDeliveryError",
    "SSEError",
    "SSEValueError",
    "__version__",
    "channel",
    "flush",
    "publish",
    "share",
    "stats",
]


def channel(name: str) -> Channel:
    """The channel ``name`` (1-128 characters of ``A-Z a-z 0-9 _ . : / -``)."""
    return Channel(name)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported here: kernels import this package and must not pay for the server side.
    from .app import SSEApp

    return [{"module": "jupyter_sse.app", "app": SSEApp}]
