"""Where the built front end lives: ``js/`` builds into it, the server serves it, the
notebook widget loads it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
WIDGET_JS: Final = STATIC_DIR / "widget.js"
WIDGET_CSS: Final = STATIC_DIR / "widget.css"
# The dashboard, a SvelteKit app (js/svelte.config.js): `boot.js` starts it, `page.json`
# lists the stylesheets and module preloads of its page (js/kit-adapter.js writes both).
DASHBOARD_DIR: Final = STATIC_DIR / "dashboard"
DASHBOARD_BOOT: Final = DASHBOARD_DIR / "boot.js"
DASHBOARD_PAGE: Final = DASHBOARD_DIR / "page.json"

HOW_TO_BUILD: Final = (
    "run `pip install -e .` (builds it with npm), or `cd js && npm ci && npm run build`"
)
