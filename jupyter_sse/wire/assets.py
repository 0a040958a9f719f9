"""Where the built front end lives: ``js/`` builds into it, the server serves it, the
notebook widget loads it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
WIDGET_JS: Final = STATIC_DIR / "widget.js"
WIDGET_CSS: Final = STATIC_DIR / "widget.css"
DASHBOARD_JS: Final = STATIC_DIR / "dashboard.js"

HOW_TO_BUILD: Final = (
    "run `pip install -e .` (builds it with npm), or `cd js && npm ci && npm run build`"
)
