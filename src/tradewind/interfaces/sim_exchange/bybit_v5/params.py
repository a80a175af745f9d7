"""Request parameters: the raw query or JSON body, read field by field with Bybit's 10001 on bad input."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.bybit_v5.errors import params_error

E = TypeVar("E", bound=Enum)


class Params:
    """Read access to one request's parameters; every getter names the field in its error."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def from_query(cls, raw_query: str) -> Params:
        return cls(dict(parse_qsl(raw_query, keep_blank_values=True)))

    @classmethod
    def from_body(cls, body: bytes) -> Params:
        if not body.strip():
            return cls({})
        try:
            values = json.loads(body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise params_error(f"the body is not valid JSON: {exc}") from exc
        if not isinstance(values, dict):
            raise params_error("the body must be a JSON object")
        return cls(values)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise params_error(f"{name} is required")
            return default
        if not isinstance(value, str):
            raise params_error(f"{name} must be a string, got {value!r}")
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise params_error(f"{name} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise params_error(f"{name} must be a decimal number string, got {value!r}")
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation as exc:
            raise params_error(f"{name} must be a decimal number, got {value!r}") from exc
        if not number.is_finite():
            raise params_error(f"{name} must be finite, got {value!r}")
        return number

    def integer(self, name: str, *, default: int, lo: int, hi: int) -> int:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise params_error(f"{name} must be an integer, got {value!r}")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value)
        else:
            raise params_error(f"{name} must be an integer, got {value!r}")
        if not lo <= number <= hi:
            raise params_error(f"{name} must be between {lo} and {hi}, got {number}")
        return number

    def flag(self, name: str) -> bool:
        """A boolean sent as JSON true/false, 0/1 or their strings."""
        value = self._values.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if value in (0, 1) or value in ("0", "1", "true", "false"):
            return value in (1, "1", "true")
        raise params_error(f"{name} must be true or false, got {value!r}")

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
        raise params_error(f"{name} must be one of {allowed}, got {raw!r}")

    def category(self, *allowed: Category, default: Category | None = None) -> Category:
        """The ``category``; one outside ``allowed`` is a params error naming what is served."""
        raw = self.text("category", required=default is None)
        if not raw and default is not None:
            return default
        for cat in allowed:
            if cat.value == raw:
                return cat
        names = ", ".join(c.value for c in allowed)
        raise params_error(f"category must be one of {names} here, got {raw!r}")

    def millis(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise params_error(f"{name} must be epoch milliseconds, got {value!r}")
