"""The one number parser of every front end: exact, finite, bounded Decimals and whole numbers, or a NumberError.

Text is ASCII only (no Arabic-Indic digits, no ``1_0``, which ``Decimal`` and ``int`` would both accept), JSON
numbers arrive as int or float, and ``True`` is never a number. Bounds are checked on the parsed value before any
arithmetic, so ``1e400000000`` is refused rather than overflowing later.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Digits, an optional fraction and an optional exponent; [0-9], not \d, which matches every script's digits.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
_MAX_TEXT = 100  # longer text cannot be a number within any limits below; refused before the regex reads it
_SHOWN = 40  # how much of a bad value an error message quotes


class NumberError(ValueError):
    """A value is not a number the field accepts; the message names the field and what was expected."""

    def __init__(self, field: str, expected: str, got: object) -> None:
        shown = repr(got) if not isinstance(got, float) else _float_text(got)
        if len(shown) > _SHOWN:
            shown = f"{shown[:_SHOWN]}... ({len(shown)} characters)"
        super().__init__(f"{field} must be {expected}, got {shown}")
        self.field = field


@dataclass(frozen=True, slots=True)
class NumberLimits:
    """How large and how precise a number may be; ``max_digits`` counts significant digits."""

    max_magnitude: Decimal = Decimal(10**12)
    max_digits: int = 28
    max_places: int = 18

    def __post_init__(self) -> None:
        if not (self.max_magnitude.is_finite() and self.max_magnitude > 0):
            raise ValueError(f"max_magnitude must be a positive finite number, got {self.max_magnitude}")
        if not 1 <= self.max_digits <= 28:
            raise ValueError(f"max_digits must be from 1 to 28, got {self.max_digits}")
        if self.max_places < 0:
            raise ValueError(f"max_places must not be negative, got {self.max_places}")


DEFAULT_LIMITS = NumberLimits()


def parse_decimal(raw: object, field: str, limits: NumberLimits = DEFAULT_LIMITS) -> Decimal:
    """``raw`` (text, int, float or Decimal) as an exact finite Decimal within ``limits``."""
    expected = _expected(limits)
    value = _to_decimal(raw, field, expected)
    if value == 0:
        return Decimal(0)  # no "-0" and no "0E-50"
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by _to_decimal
    significant = len(digits)
    while digits[significant - 1] == 0:  # trailing zeros carry no precision: 1.50 is 2 digits, 1 place
        significant -= 1
        exponent += 1
    too_large = value.adjusted() > limits.max_magnitude.adjusted() or abs(value) > limits.max_magnitude
    if too_large or significant > limits.max_digits or exponent < -limits.max_places:
        raise NumberError(field, expected, raw)
    return value.quantize(Decimal(1)) if exponent > 0 else value  # "1e3" reads as 1000, not 1E+3


def parse_int(raw: object, field: str, *, low: int, high: int) -> int:
    """``raw`` as a whole number from ``low`` to ``high``; 2.7 and ``True`` are refused, never truncated."""
    expected = f"a whole number from {low} to {high}"
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    else:
        value = _to_decimal(raw, field, expected)
        if value.adjusted() > len(str(max(abs(low), abs(high)))) or value != value.to_integral_value():
            raise NumberError(field, expected, raw)
        number = int(value)
    if not low <= number <= high:
        raise NumberError(field, expected, raw)
    return number


def _to_decimal(raw: object, field: str, expected: str) -> Decimal:
    if isinstance(raw, bool):  # bool is an int subclass: JSON true must not read as 1
        raise NumberError(field, expected, raw)
    if isinstance(raw, int):
        if raw.bit_length() > 200:
            raise NumberError(field, expected, raw)
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise NumberError(field, expected, raw)
        return Decimal(repr(raw))  # the shortest text of the float: 0.1 reads as 0.1, not 0.1000000000000000055
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise NumberError(field, expected, raw)
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > _MAX_TEXT or not _NUMBER.fullmatch(text):
            raise NumberError(field, expected, raw)
        try:
            return Decimal(text)
        except InvalidOperation:  # the pattern admits only what Decimal reads; kept so no input escapes as a crash
            raise NumberError(field, expected, raw) from None
    raise NumberError(field, expected, raw)


def _expected(limits: NumberLimits) -> str:
    return (
        f"a number of at most {limits.max_digits} digits and {limits.max_places} decimal places, "
        f"no larger than {limits.max_magnitude:,} in size"
    )


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value == math.inf else "-Infinity" if value == -math.inf else repr(value)
