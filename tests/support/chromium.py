"""Debian's Chromium as every browser test (and the front-end bench) starts it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("JUPYTER_SSE_CHROMIUM", "/usr/bin/chromium"))
# Headless as root, and nothing that reaches for the network: this machine has none
# beyond loopback, and background requests only slow the start down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def executable() -> str:
    """The browser's path; fails (never skips) when it is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install chromium, or set JUPYTER_SSE_CHROMIUM"
        )
    return str(CHROMIUM)
