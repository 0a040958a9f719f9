"""The live widget: an anywidget that shows one or more channels as they stream.

Imported only when a widget is displayed (``Channel._repr_mimebundle_``), never by
``import jupyter_sse``: anywidget and ipywidgets are heavy for a kernel that only
publishes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anywidget
import traitlets

from ..wire.assets import HOW_TO_BUILD, WIDGET_CSS, WIDGET_JS
from ..wire.errors import SSEError
from ..wire.names import check_pattern
from .view import VIEW_MIME_TYPE, view_data

__all__ = ["LiveView"]

if not (WIDGET_JS.is_file() and WIDGET_CSS.is_file()):
    # A source checkout that was never built; an installed wheel always has them.
    raise SSEError(f"the widget's front end is not built ({WIDGET_JS} is missing): {HOW_TO_BUILD}")


class LiveView(anywidget.AnyWidget):
    """Progress bars, statuses, metric charts, tables, log lines and toasts of channels.

    ``channels`` are channel names or prefix patterns ending in ``*`` (``"train/*"``).
    Every view on a page shares one stream to the server. ``state`` is written by the
    front end (the latest values, bounded) so a saved notebook shows them when it is
    reopened without a kernel.
    """

    # Paths, not file contents: with ANYWIDGET_HMR=1 and an editable install, anywidget
    # watches these files and pushes each rebuild (`npm run dev`) to open notebooks.
    _esm = WIDGET_JS
    _css = WIDGET_CSS

    channels = traitlets.List(
        traitlets.Unicode(),
        help="Channel names or patterns ending in '*' to show, in display order.",
    ).tag(sync=True)
    state = traitlets.Dict(
        help="Latest state per channel, written by the front end: "
        "{channel: {'ts': epoch seconds, 'snapshot': <snapshot data>}}.",
    ).tag(sync=True)

    def __init__(self, channels: str | Iterable[str], **kwargs: Any) -> None:
        names = [channels] if isinstance(channels, str) else list(channels)
        if not names:
            raise SSEError("LiveView needs at least one channel, e.g. LiveView(['train/run-1'])")
        super().__init__(channels=[check_pattern(name) for name in names], **kwargs)

    def __repr__(self) -> str:
        return f"LiveView({self.channels!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[Any, Any], dict[Any, Any]] | None:
        """The anywidget view, and next to it the JupyterLab extension's, which wins by
        rank where the extension is installed (DESIGN.md, "Notebook outputs")."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, VIEW_MIME_TYPE: view_data(self.channels)}, metadata
