"""Debian's Chromium as every browser test (and the front-end bench) starts it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("JUPYTER_SSE_CHROMIUM", "/usr/bin/chromium"))
# One list for the tests and both benches (the file says why each flag).
CHROMIUM_ARGS: list[str] = json.loads((ROOT / "scripts" / "chromium-args.json").read_text())["args"]
ARTIFACTS = ROOT / "test-artifacts"


def executable() -> str:
    """The browser's path; fails (never skips) when it is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install chromium, or set JUPYTER_SSE_CHROMIUM"
        )
    return str(CHROMIUM)
