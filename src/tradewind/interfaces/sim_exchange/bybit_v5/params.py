"""Request parameters: the raw query or JSON body, read field by field with Bybit's 10001 on bad input."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from tradewind.domain.numbers import NumberError, NumberLimits, parse_decimal, parse_int
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.bybit_v5.errors import params_error
from tradewind.interfaces.sim_exchange.json_input import JsonInputError, loads

E = TypeVar("E", bound=Enum)
NUMBER_LIMITS = NumberLimits()  # prices and sizes: at most 10^12, 18 places; beyond is a params error, not a crash
MAX_MILLIS = 10**14  # epoch milliseconds up to the year 5138
DAY_MS = 24 * 3_600_000
WEEK_MS = 7 * DAY_MS  # the widest startTime..endTime range Bybit's history lists answer


class Params:
    """Read access to one request's parameters; every getter names the field in its error."""

    def __init__(self, values: Mapping[str, Any], limits: NumberLimits = NUMBER_LIMITS) -> None:
        self._values = dict(values)
        self._limits = limits

    @classmethod
    def from_query(cls, raw_query: str, limits: NumberLimits = NUMBER_LIMITS) -> Params:
        return cls(dict(parse_qsl(raw_query, keep_blank_values=True)), limits)

    @classmethod
    def from_body(cls, body: bytes, limits: NumberLimits = NUMBER_LIMITS) -> Params:
        if not body.strip():
            return cls({}, limits)
        try:
            values = loads(body)
        except JsonInputError as exc:
            raise params_error(f"the body is not valid JSON: {exc}") from None
        if not isinstance(values, dict):
            raise params_error("the body must be a JSON object")
        return cls(values, limits)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise params_error(f"{name} is required")
            return default
        if not isinstance(value, str):
            raise params_error(f"{name} must be a string, got {_shown(value)}")
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise params_error(f"{name} is required")
            return None
        try:
            return parse_decimal(value, name, self._limits)
        except NumberError as exc:
            raise params_error(str(exc)) from None

    def integer(self, name: str, *, default: int, lo: int, hi: int) -> int:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return parse_int(value, name, low=lo, high=hi)
        except NumberError as exc:
            raise params_error(str(exc)) from None

    def flag(self, name: str) -> bool:
        """A boolean sent as JSON true/false, 0/1 or their strings."""
        value = self._values.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if value in (0, 1) or value in ("0", "1", "true", "false"):
            return value in (1, "1", "true")
        raise params_error(f"{name} must be true or false, got {_shown(value)}")

    def choice(
        self, name: str, words: Mapping[E, str], *, required: bool = False, default: E | None = None
    ) -> E | None:
        """The member whose wire word (``words``) the field holds; the error lists the words."""
        raw = self.text(name, required=required)
        if not raw:
            return default
        for member, word in words.items():
            if word == raw:
                return member
        allowed = ", ".join(words.values())
        raise params_error(f"{name} must be one of {allowed}, got {_shown(raw)}")

    def category(self, *allowed: Category, default: Category | None = None) -> Category:
        """The ``category``; one outside ``allowed`` is a params error naming what is served."""
        raw = self.text("category", required=default is None)
        if not raw and default is not None:
            return default
        for cat in allowed:
            if cat.value == raw:
                return cat
        names = ", ".join(c.value for c in allowed)
        raise params_error(f"category must be one of {names} here, got {_shown(raw)}")

    def millis(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return parse_int(value, name, low=0, high=MAX_MILLIS)
        except NumberError as exc:
            raise params_error(f"{exc} (epoch milliseconds)") from None


def time_range(p: Params, now_ms: int, *, lone_ms: int = WEEK_MS, widest_ms: int = WEEK_MS) -> tuple[int, int]:
    """A history list's ``startTime`` / ``endTime`` as Bybit reads them: without either the last ``lone_ms`` up to
    now, ``lone_ms`` from a lone ``startTime`` or before a lone ``endTime``; both at most ``widest_ms`` apart, in
    order, else refused (10001). The range is inclusive at both ends."""
    start, end = p.millis("startTime"), p.millis("endTime")
    if start is None and end is None:
        return now_ms - lone_ms, MAX_MILLIS  # everything up to now, stamped by this clock
    if start is None:
        assert end is not None
        return end - lone_ms, end
    if end is None:
        return start, start + lone_ms
    if end < start:
        raise params_error(f"endTime {end} is before startTime {start}")
    if end - start > widest_ms:
        days = widest_ms // DAY_MS
        raise params_error(f"endTime - startTime is {end - start} ms: the time range must be at most {days} days")
    return start, end


def _shown(value: object, limit: int = 40) -> str:
    """A bad value as quoted in an error: its repr, cut short so a megabyte of it never reaches the reply."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
