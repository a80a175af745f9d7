"""JSON from clients, either face, REST body or WebSocket frame: nesting bounded before the parser recurses.

``json.loads`` recurses once per ``[`` or ``{``, so 100,000 of them end in a RecursionError; the depth is
counted first (strings skipped) and a deeper document is refused as bad input.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

MAX_DEPTH = 32  # a request is an object of scalars or short lists; 32 levels leave room and stay far from recursion
# A string is matched whole (to its closing quote, or to the end if unterminated, so the scan stays linear).
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class JsonInputError(ValueError):
    """The text is not JSON, or nests deeper than allowed; the message says which."""


def nesting_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in ``text`` (outside strings); 0 for a scalar."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in "]}":
            depth -= 1
    return deepest


def loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH, decimals: bool = True) -> Any:
    """``raw`` parsed (fractions as exact Decimals if ``decimals``); too deep or not JSON is a JsonInputError."""
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise JsonInputError(f"not UTF-8: {exc}") from None
    depth = nesting_depth(text) if text.count("[") + text.count("{") > max_depth else 0
    if depth > max_depth:
        raise JsonInputError(f"nested {depth} levels deep; at most {max_depth} are accepted")
    try:
        return json.loads(text, parse_float=Decimal) if decimals else json.loads(text)
    except ValueError as exc:
        raise JsonInputError(str(exc)) from None
