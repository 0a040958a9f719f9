"""Channel, pattern and type names; the scope rule of viewer links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_sse.wire.errors import SSEValueError
from jupyter_sse.wire.names import (
    check_channel,
    check_pattern,
    check_type,
    is_channel,
    pattern_matches,
    scope_covers,
)

# The browser checks the same rules (js/src/lib/sse/patterns.ts); both read these cases.
CASES: dict[str, Any] = json.loads((Path(__file__).parent / "name_cases.json").read_text())


@pytest.mark.parametrize("name", ["a", "train/run-1", "A_b.c:d/e-f", "x" * 128])
def test_valid_channels(name: str) -> None:
    assert check_channel(name) == name


@pytest.mark.parametrize("name", ["", "x" * 129, "has space", "new\nline", "star*", 5, None])
def test_invalid_channels(name: object) -> None:
    with pytest.raises(SSEValueError, match="invalid channel"):
        check_channel(name)


@pytest.mark.parametrize("name", ["snapshot", "reset", "error"])
def test_control_types_are_reserved(name: str) -> None:
    with pytest.raises(SSEValueError, match="reserved"):
        check_type(name)


def test_patterns() -> None:
    assert check_pattern("train/*") == "train/*"
    assert check_pattern("*") == "*"
    for bad in ["a*b", "**", "tr ain/*"]:
        with pytest.raises(SSEValueError):
            check_pattern(bad)


def test_scope_covers() -> None:
    assert scope_covers(["train/*"], "train/run-1")
    assert scope_covers(["train/*"], "train/x/*")
    assert not scope_covers(["train/*"], "*")
    assert not scope_covers(["train/run-1"], "train/*")
    assert scope_covers(["a", "b"], "b")


@pytest.mark.parametrize("name", CASES["channels"]["valid"])
def test_shared_valid_channels(name: str) -> None:
    assert is_channel(name)


@pytest.mark.parametrize("name", CASES["channels"]["invalid"])
def test_shared_invalid_channels(name: str) -> None:
    assert not is_channel(name)


@pytest.mark.parametrize("pattern", CASES["patterns"]["valid"])
def test_shared_valid_patterns(pattern: str) -> None:
    assert check_pattern(pattern) == pattern


@pytest.mark.parametrize("pattern", CASES["patterns"]["invalid"])
def test_shared_invalid_patterns(pattern: str) -> None:
    with pytest.raises(SSEValueError):
        check_pattern(pattern)


@pytest.mark.parametrize("case", CASES["matches"], ids=lambda c: f"{c['pattern']}>{c['channel']}")
def test_shared_match_cases(case: dict[str, Any]) -> None:
    assert pattern_matches(case["pattern"], case["channel"]) is case["matches"]


@pytest.mark.parametrize("case", CASES["scope"], ids=lambda c: f"{c['scope']}>{c['pattern']}")
def test_shared_scope_cases(case: dict[str, Any]) -> None:
    assert scope_covers(case["scope"], case["pattern"]) is case["covers"]
