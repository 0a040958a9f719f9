"""JSON as browsers read it: strict parsing and compact encoding."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_sse.wire.errors import SSEValueError
from jupyter_sse.wire.json_text import dumps, loads


def test_nan_is_not_json() -> None:
    with pytest.raises(SSEValueError, match="JSON"):
        dumps({"x": float("nan")})
    with pytest.raises(SSEValueError, match="NaN"):
        loads('{"x": NaN}')


def test_a_self_containing_value_is_refused() -> None:
    data: dict[str, Any] = {}
    data["me"] = data
    with pytest.raises(SSEValueError, match="contains itself"):
        dumps(data)


@pytest.mark.parametrize(
    "value",
    [
        {"values": {"loss": 0.1, 'é"\\': None}, "step": 10**20},
        [1, 2.5, "line\nbreak", True, {"1": [None]}],
        {"text": "\u2028", 1: 2, 2.5: "float key", None: "null key"},
        "plain string",
    ],
)
def test_dumps_is_compact_json(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # The same text, but for the characters str.splitlines takes for line ends, which
    # are escaped (the same JSON value: see the next test).
    assert dumps(value) == expected.replace("\u2028", "\\u2028")


def test_dumps_keeps_every_value_on_one_line_for_every_reader() -> None:
    """A raw U+2028 in a log line made httpx's aiter_lines (str.splitlines) cut the
    data line in two; a browser does not, but a Python reader would lose the event."""
    value = {"text": "a\u2028b\u2029c\x85d é"}
    text = dumps(value)
    assert text.splitlines() == [text]
    assert json.loads(text) == value
    assert "é" in text  # other non-ASCII text stays as it is
