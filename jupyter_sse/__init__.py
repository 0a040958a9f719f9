"""Stream live results from Jupyter over Server-Sent Events.

    import jupyter_sse as sse
    ch = sse.channel("train/run-1")
    ch.metric(step=1, loss=0.5)
    for batch in ch.progress(loader, label="epoch 1"): ...

Kept light on purpose: kernels import it to publish, so nothing of the server side
(``jupyter_sse.server``: jupyter_server, tornado) nor of the widget (anywidget) is
imported here. The code lives in three rooms: ``wire`` (the contract), ``kernel``
(this API) and ``server`` (the extension); see ARCHITECTURE.md.
"""

from __future__ import annotations

from typing import Any

from .kernel.channel import Channel
from .kernel.default import flush, publish, stats
from .kernel.log_handler import LogHandler
from .kernel.publisher import Publisher
from .kernel.share import share
from .wire.errors import SSEConfigError, SSEDeliveryError, SSEError, SSEValueError

__version__ = "0.1.0"

__all__ = [
    "Channel",
    "LogHandler",
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
    "tqdm",
    "trange",
]

# Loaded on first use: tqdm is an optional dependency, and importing it costs a kernel
# that only publishes some tens of milliseconds.
_LAZY = {"tqdm": "tqdm", "trange": "trange"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        try:
            from .kernel import tqdm_bar
        except ModuleNotFoundError as e:
            if e.name != "tqdm":
                raise
            raise ImportError(
                f"jupyter_sse.{name} needs tqdm: pip install 'jupyter-sse[tqdm]'"
            ) from None
        return getattr(tqdm_bar, _LAZY[name])
    raise AttributeError(f"module 'jupyter_sse' has no attribute {name!r}")


def channel(name: str, *, publisher: Publisher | None = None) -> Channel:
    """The channel ``name`` (1-128 characters of ``A-Z a-z 0-9 _ . : / -``).

    It publishes through ``publisher``, or the process's default one.
    """
    return Channel(name, publisher=publisher)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported here: kernels import this package and must not pay for the server side.
    from .server.app import SSEApp

    return [{"module": "jupyter_sse.server.app", "app": SSEApp}]
