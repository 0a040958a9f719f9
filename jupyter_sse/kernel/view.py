"""The notebook output that the JupyterLab extension renders (DESIGN.md, "Notebook outputs").

``application/vnd.jupyter-sse.view+json`` carries ``{"channels": [...], "version": 1}``:
with the extension (JupyterLab 4, Notebook 7) the output draws straight from the
server's stream, kernel or no kernel; front ends without it (VS Code, Colab) pick the
anywidget view next to it. Light on purpose: ``Channel`` builds it without anywidget.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["VIEW_MIME_TYPE", "VIEW_VERSION", "add_view", "view_data"]

VIEW_MIME_TYPE = "application/vnd.jupyter-sse.view+json"
# The renderer (js/labextension/src/renderer.ts, VIEW_VERSION) draws versions up to its own.
VIEW_VERSION = 1

MimeBundle = dict[str, Any] | tuple[dict[str, Any], dict[str, Any]]


def view_data(channels: Sequence[str]) -> dict[str, Any]:
    """The renderer's data for ``channels`` (already checked names or patterns)."""
    return {"channels": list(channels), "version": VIEW_VERSION}


def add_view(bundle: MimeBundle | None, channels: Sequence[str]) -> MimeBundle:
    """``bundle`` (data, or data and metadata) with the extension's view added to its data."""
    if bundle is None:
        bundle = {}
    if isinstance(bundle, tuple):
        data, metadata = bundle
        return {**data, VIEW_MIME_TYPE: view_data(channels)}, metadata
    return {**bundle, VIEW_MIME_TYPE: view_data(channels)}
