"""JSON as every browser can read it: strict parsing, compact encoding, finite numbers.

NaN and Infinity are not JSON, and a browser's ``JSON.parse`` refuses them (and reads
an integer beyond the float range as Infinity): both are refused at the door, on the
kernel side before an event is queued and on the server side before it is published.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final

from .errors import SSEValueError

FLOAT_MAX: Final = sys.float_info.max


def finite_number(value: object) -> bool:
    """True for an int or float (not bool) that a browser reads as a finite number."""
    # Exact types first: this runs for every value of every metric event.
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is int:
        # A JSON integer beyond the float range is Infinity to a browser's JSON.parse.
        return -FLOAT_MAX <= value <= FLOAT_MAX
    # bool is an int in Python; a progress value of True is a bug, not a number.
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int subclass too large for a float
        return False


def _reject_constant(name: str) -> Any:
    raise SSEValueError(f"{name} is not valid JSON; send null instead")


def loads(text: str | bytes) -> Any:
    """Parse JSON strictly: NaN and Infinity are refused (browsers' JSON.parse rejects them).

    Raises ``SSEValueError`` for anything that is not such JSON, nesting too deep for
    the parser included.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise SSEValueError("JSON nested too deeply") from None
    except (ValueError, TypeError) as e:  # JSONDecodeError, and bytes that are not UTF-8
        if isinstance(e, SSEValueError):
            raise
        raise SSEValueError(str(e)) from None


# One encoder for every call: json.dumps with non-default options builds a new
# JSONEncoder each time, which showed in the profile of the publish path.
_ENCODER: Final = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


# JSONEncoder.encode also builds its C encoder on every call, which costs as much as
# encoding a small event; this one is built once. Without check_circular it keeps no
# state between calls (threads may share it), and a cycle ends in RecursionError.
def _c_encoder() -> Callable[[Any, int], Sequence[str]] | None:
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None  # an interpreter without json's C accelerator
    try:
        # The arguments JSONEncoder.iterencode passes it, for _ENCODER's options.
        encoder: Callable[[Any, int], Sequence[str]] = make(
            None,
            _ENCODER.default,
            json.encoder.encode_basestring,
            None,
            ":",
            ",",
            False,
            False,
            False,
        )
    except TypeError:
        return None  # its signature changed: JSONEncoder.encode still works
    return encoder


_C_ENCODE: Final = _c_encoder()


def dumps(value: Any) -> str:
    """Compact JSON that every browser can parse, on one line for every reader (see
    ``escape_line_ends``); raises ``SSEValueError`` otherwise."""
    try:
        if _C_ENCODE is not None and type(value) in (dict, list):
            return escape_line_ends("".join(_C_ENCODE(value, 0)))
        return escape_line_ends(_ENCODER.encode(value))
    except (TypeError, ValueError) as e:
        raise SSEValueError(f"data is not JSON-serializable: {e}") from None
    except RecursionError:
        raise SSEValueError(
            "data is not JSON-serializable: it contains itself, or is nested too deeply"
        ) from None


def json_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8; compact ASCII JSON (the usual case) needs no encode.

    Raises ``SSEValueError`` for text that has no UTF-8 form (a lone surrogate such as
    ``"\ud800"``, which JSON can spell but no stream can carry).
    """
    if text.isascii():
        return len(text)
    try:
        return len(text.encode())
    except UnicodeEncodeError:
        raise SSEValueError(
            "data holds a lone UTF-16 surrogate (e.g. \\ud800), which UTF-8 cannot carry"
        ) from None


# Characters that JSON leaves as they are but that Python's str.splitlines (and readers
# built on it, such as httpx's aiter_lines) takes for line ends: a data line holding one
# would be cut in two by such a reader. Browsers cut SSE lines at CR and LF only.
_SPLITLINES_ENDS: Final = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SPLITLINES_RE: Final = re.compile("[\u0085\u2028\u2029]")


def escape_line_ends(text: str) -> str:
    """JSON ``text`` with U+0085, U+2028 and U+2029 written as ``\\uXXXX`` escapes: the
    same JSON value, on one line for every reader (``dumps`` does it to all it makes)."""
    if text.isascii():
        return text
    return _SPLITLINES_RE.sub(lambda m: _SPLITLINES_ENDS[m.group()], text)
