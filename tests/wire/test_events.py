"""The data shapes of the built-in event types, and the Literal/frozenset pairs."""

from __future__ import annotations

from typing import get_args

import pytest

from jupyter_sse.wire.errors import SSEValueError
from jupyter_sse.wire.events import (
    BUILTIN_TYPES,
    LEVELS,
    STATUS_VARIANTS,
    BuiltinType,
    Level,
    Variant,
    check_data,
)


@pytest.mark.parametrize(
    ("type_", "data", "message"),
    [
        ("progress", {"value": 1}, "key"),
        ("progress", {"key": "a", "value": "1"}, "value"),
        ("progress", {"key": "a", "value": True}, "value"),
        ("progress", {"key": "a", "value": 1, "total": "10"}, "total"),
        ("metric", {"values": {}}, "values"),
        ("metric", {"values": {"loss": "high"}}, "loss"),
        ("status", {"key": "a", "value": 1, "variant": "purple"}, "variant"),
        ("notify", {"title": "no message"}, "message"),
        ("table", {"table": "t", "row": [1]}, "row"),
        ("log", {"text": 1}, "text"),
        ("notify", ["not", "an", "object"], "object"),
    ],
)
def test_builtin_shapes_are_checked(type_: str, data: object, message: str) -> None:
    with pytest.raises(SSEValueError, match=message):
        check_data(type_, data)


def test_custom_types_carry_any_json() -> None:
    check_data("my.type", [1, "two", None])


def test_a_huge_integer_is_not_a_finite_number() -> None:
    """An integer beyond the float range raised OverflowError (a 500 on the server)."""
    with pytest.raises(SSEValueError, match="finite number"):
        check_data("metric", {"values": {"x": 10**400}})
    with pytest.raises(SSEValueError, match="value"):
        check_data("progress", {"key": "a", "value": -(10**400)})
    check_data("metric", {"values": {"x": 10**300, "y": 1.5}, "step": 2})


def test_each_word_set_is_its_literal() -> None:
    assert frozenset(get_args(BuiltinType)) == BUILTIN_TYPES
    assert frozenset(get_args(Level)) == LEVELS
    assert frozenset(get_args(Variant)) == STATUS_VARIANTS
