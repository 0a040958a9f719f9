"""The Python side of the live widget: traits, validation, and the light kernel import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_sse
from jupyter_sse import SSEError, SSEValueError, channel
from jupyter_sse.kernel import widget

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
VIEW_MIME = "application/vnd.jupyter-sse.view+json"


def test_syncs_channels_and_state() -> None:
    view = widget.LiveView(["train/*", "demo"])
    synced = view.get_state()
    assert synced["channels"] == ["train/*", "demo"]
    assert synced["state"] == {}
    assert view.trait_metadata("state", "sync") is True


def test_accepts_a_single_name() -> None:
    assert widget.LiveView("demo").channels == ["demo"]


def test_loads_the_built_bundle_by_path() -> None:
    """`_esm`/`_css` are the built files, so anywidget can watch them in dev mode."""
    view = widget.LiveView(["demo"])
    static = Path(jupyter_sse.__file__).parent / "static"
    assert view._esm == (static / "widget.js").read_text()
    assert view._css == (static / "widget.css").read_text()
    assert "export" in view._esm


@pytest.mark.parametrize("bad", ["", "has space", "a*b", "x" * 129])
def test_refuses_invalid_channel_names(bad: str) -> None:
    with pytest.raises(SSEValueError, match="invalid channel"):
        widget.LiveView([bad])


def test_refuses_no_channel() -> None:
    with pytest.raises(SSEError, match="at least one channel"):
        widget.LiveView([])


def test_channel_displays_as_the_widget() -> None:
    """A bare `ch` at the end of a cell shows the live widget for that channel."""
    bundle = channel("demo")._repr_mimebundle_()
    assert bundle is not None
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert WIDGET_MIME in data
    assert json.loads(json.dumps(data[WIDGET_MIME]))["model_id"]
    # Next to it, the JupyterLab extension's view (DESIGN.md, "Notebook outputs").
    assert data[VIEW_MIME] == {"channels": ["demo"], "version": 1}


def test_live_view_offers_the_extension_view_of_all_its_channels() -> None:
    bundle = widget.LiveView(["train/*", "demo"])._repr_mimebundle_()
    assert bundle is not None
    data, _metadata = bundle
    expected = {"channels": ["train/*", "demo"], "version": 1}
    assert json.loads(json.dumps(data[VIEW_MIME])) == expected
    assert WIDGET_MIME in data


def test_import_jupyter_sse_stays_light() -> None:
    """Kernels import the package on every publish: no widget machinery may come with it."""
    code = (
        "import sys, jupyter_sse; "
        "heavy = ('anywidget', 'ipywidgets', 'jupyter_sse.kernel.widget'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
