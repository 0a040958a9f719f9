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
    assert dumps(value) == expected
