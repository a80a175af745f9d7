"""Request parameters as Binance reads them: query string and form body, each field checked with Binance's codes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import parse_qsl

from tradewind.domain.numbers import NumberError, NumberLimits, parse_decimal, parse_int
from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code, illegal, mandatory

# Binance's own patterns: no sign, no exponent, no NaN or Infinity, so a parsed number is always finite and >= 0.
_DECIMAL = re.compile(r"^[0-9]{1,20}(\.[0-9]{1,20})?$")
_INTEGER = re.compile(r"^[0-9]{1,20}$")
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
# Within Binance's pattern, the project's number parser still bounds what reaches the venue (size, 28 digits).
NUMBER_LIMITS = NumberLimits(max_magnitude=Decimal(10**12), max_places=20)


def _pairs(raw: str, where: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name in values:
            raise BinanceError(Code.TOO_MANY_PARAMETERS, f"parameter '{name}' appears twice in the {where}")
        values[name] = value
    return values


class Params:
    """One request's parameters; every getter names the field in its error, and nothing is read twice."""

    def __init__(self, values: dict[str, str], limits: NumberLimits = NUMBER_LIMITS) -> None:
        self._values = values
        self._limits = limits

    @classmethod
    def parse(cls, raw_query: str, body: bytes, limits: NumberLimits = NUMBER_LIMITS) -> Params:
        """Query string and form body together; a name in both takes the query string's value, as Binance."""
        try:
            form = body.decode()
        except UnicodeDecodeError as exc:
            raise BinanceError(Code.ILLEGAL_CHARS, f"the body is not UTF-8: {exc}") from exc
        return cls({**_pairs(form, "body"), **_pairs(raw_query, "query string")}, limits)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name, "") != ""

    def names(self) -> set[str]:
        return set(self._values)

    def only(self, allowed: Iterable[str]) -> None:
        """Refuse parameters the endpoint does not read (-1104), so a misspelt one cannot pass silently."""
        unread = sorted(set(self._values) - set(allowed))
        if unread:
            read = len(self._values) - len(unread)
            raise BinanceError(
                Code.UNREAD_PARAMETERS,
                f"not read here: {', '.join(unread)}",
                message=f"Not all sent parameters were read; read '{read}' parameter(s) but was sent "
                f"'{len(self._values)}'.",
            )

    def raw(self, name: str) -> str:
        """The value as sent, unchecked (for request weights, which never refuse)."""
        return self._values.get(name, "")

    def text(self, name: str, *, required: bool = False) -> str:
        value = self._values.get(name, "")
        if not value and required:
            raise mandatory(name)
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        if not value:
            return None
        if not _DECIMAL.fullmatch(value):
            raise illegal(name, DECIMAL_RANGE, f"{name}={value[:40]!r} is not a plain non-negative decimal number")
        try:
            return parse_decimal(value, name, self._limits)
        except NumberError as exc:
            raise illegal(name, DECIMAL_RANGE, str(exc)) from None

    def integer(self, name: str, *, lo: int, hi: int, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        if not value:
            return None
        detail = f"{name}={value[:40]!r} is not an integer from {lo} to {hi}"
        if not _INTEGER.fullmatch(value):
            raise illegal(name, f"[{lo}, {hi}]", detail)
        try:
            return parse_int(value, name, low=lo, high=hi)
        except NumberError:
            raise illegal(name, f"[{lo}, {hi}]", detail) from None

    def millis(self, name: str) -> int | None:
        return self.integer(name, lo=0, hi=2**63 - 1)

    def flag(self, name: str) -> bool | None:
        value = self.text(name)
        if not value:
            return None
        if value.lower() not in ("true", "false"):
            raise illegal(name, "true, false", f"{name}={value!r}")
        return value.lower() == "true"

    def choice(
        self, name: str, allowed: Iterable[str], *, required: bool = False, code: Code = Code.ILLEGAL_CHARS
    ) -> str:
        """One of ``allowed``; anything else is ``code`` (Binance has its own for side, type and timeInForce)."""
        value = self.text(name, required=required)
        options = tuple(allowed)
        if value and value not in options:
            detail = f"{name}={value!r}; this simulator serves {', '.join(options)}"
            if code is Code.ILLEGAL_CHARS:
                raise illegal(name, ", ".join(options), detail)
            raise BinanceError(code, detail)
        return value
