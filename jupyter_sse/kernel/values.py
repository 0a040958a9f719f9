"""From the values a notebook passes to the JSON the wire carries.

NaN and infinity become null, numpy and torch scalars plain numbers. ``metric_json``
does all of a metric's work (convert, check, encode) in one pass over its values,
because ``ch.metric`` is the call a training loop makes thousands of times a second.
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring
from typing import Any, Final

from ..wire.errors import SSEValueError
from ..wire.json_text import FLOAT_MAX

# json's own formatting of numbers (JSONEncoder uses float.__repr__ and int.__repr__),
# so that the text built here is what wire.json_text.dumps would have produced.
_float_text: Final = float.__repr__
_int_text: Final = int.__repr__


def plain(value: Any) -> Any:
    """``value`` as JSON can carry it: NaN/inf as None, numpy/torch scalars as numbers."""
    # numpy and torch scalars are not JSON numbers; their float() is. NaN/inf become
    # null: JSON cannot carry them, and a NaN loss should be a gap, not an exception.
    if value is None or isinstance(value, bool | int | str):
        return value
    if not isinstance(value, float):
        index = getattr(type(value), "__index__", None)
        if index is not None:
            try:
                return index(value)
            except TypeError:
                pass  # a float tensor has __index__ but refuses it: float() below
        if not hasattr(value, "__float__"):
            return value
        try:
            value = float(value)
        except (TypeError, ValueError):
            return value
    return value if math.isfinite(value) else None


def finite_metric(data: Any) -> Any:
    """``data`` with its non-finite metric values as None (a new dict when it changed)."""
    # A NaN loss is what a diverging run produces, the moment its chart matters most.
    # JSON has no NaN (browsers' JSON.parse refuses it), so such a value is sent as
    # null, a gap in the line, rather than refusing the whole event.
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, dict):
        return data
    finite = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.items()
    }
    return {**data, "values": finite}


def metric_json(step: Any, values: dict[str, Any]) -> str:
    """The JSON of ``{"values": values, "step": step}`` (no step when None), as
    ``wire.json_text.dumps`` would encode it once ``plain`` and ``check_data`` passed it."""
    if not values:
        raise SSEValueError("metric() needs at least one value, e.g. ch.metric(step=1, loss=0.5)")
    items = [encode_basestring(k) + ":" + _number_text(k, v) for k, v in values.items()]
    text = '{"values":{' + ",".join(items) + "}"
    if step is not None:
        text += ',"step":' + _number_text("step", step)
    return text + "}"


def _number_text(name: str, value: Any) -> str:
    # Exact types first: a float or an int is nearly every value a loop sends.
    if type(value) is float:
        return _float_text(value) if math.isfinite(value) else "null"
    if type(value) is int and -FLOAT_MAX <= value <= FLOAT_MAX:
        return _int_text(value)
    value = plain(value)
    if value is None:
        return "null"
    if isinstance(value, float):  # numpy's float64 is a float subclass
        return _float_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and -FLOAT_MAX <= value <= FLOAT_MAX:
        return _int_text(value)
    what = "step" if name == "step" else f"metric value {name!r}"
    raise SSEValueError(f"{what} must be a finite number or null, got {value!r}")
