"""A trading signal: what a strategy instance asks the trader to do on one market, and its wire format.

The id is derived from the instance and the candle (``signal_id``), so a producer that restarts and computes the
same candle again emits the same id, and the trader can refuse it as a repeat.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradewind.domain.market import InstrumentRef, PayloadError, _dec, _get, _int
from tradewind.domain.values import Category

_NAMESPACE = uuid.UUID("6f1d3c1e-2b55-4f0b-9a43-5a3e0f7f1c11")  # fixed: ids must not change between releases
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")  # ids, sources, exchanges: safe in topics and order ids
_HUNDRED = Decimal(100)
MAX_TAKE_PROFIT_PCT = Decimal(1000)


SIGNAL_KIND = "signal.trade"  # topics: signal.trade.<exchange>.<category>.<symbol>


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    NOTHING = "NOTHING"


def signal_id(source: str, ref: InstrumentRef, interval: int, candle_start_ms: int) -> str:
    """The id of the signal ``source`` computes on one candle: the same inputs always give the same 32 hex digits."""
    key = f"{source}|{ref.exchange}|{ref.category.value}|{ref.symbol}|{interval}|{candle_start_ms}"
    return uuid.uuid5(_NAMESPACE, key).hex


@dataclass(frozen=True, slots=True)
class Signal:
    """BUY, SELL or NOTHING ``amount_quote`` (quote currency) of ``symbol``, from strategy instance ``source``.

    ``take_profit_pct`` / ``stop_loss_pct`` are distances from the entry price in percent (None: the trader's
    defaults); ``interval``, ``candle_start_ms`` and ``price`` (its close) name the candle it was computed on, and
    ``ts_ns`` is that candle's end (so the same candle always gives the same signal).
    """

    signal_id: str
    source: str
    exchange: str
    category: Category
    symbol: str
    action: Action
    amount_quote: Decimal
    take_profit_pct: Decimal | None
    stop_loss_pct: Decimal | None
    interval: int
    candle_start_ms: int
    price: Decimal
    ts_ns: int

    def __post_init__(self) -> None:
        for name in ("signal_id", "source", "exchange", "symbol"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _WORD.fullmatch(value):
                raise ValueError(f"signal {name} must be 1-64 letters, digits or _.:- (not first), got {value!r}")
        if not isinstance(self.category, Category):
            raise ValueError(f"signal category must be one of {[c.value for c in Category]}")
        if not isinstance(self.action, Action):
            raise ValueError(f"signal action must be one of {[a.value for a in Action]}")
        if not self.amount_quote.is_finite() or self.amount_quote <= 0:
            raise ValueError(f"signal amount_quote must be positive, got {self.amount_quote}")
        if not self.price.is_finite() or self.price <= 0:
            raise ValueError(f"signal price must be positive, got {self.price}")
        if self.take_profit_pct is not None and not 0 < self.take_profit_pct <= MAX_TAKE_PROFIT_PCT:
            raise ValueError(
                f"signal take_profit_pct must be in (0, {MAX_TAKE_PROFIT_PCT}], got {self.take_profit_pct}"
            )
        if self.stop_loss_pct is not None and not 0 < self.stop_loss_pct < _HUNDRED:
            raise ValueError(f"signal stop_loss_pct must be in (0, 100), got {self.stop_loss_pct}")
        if self.candle_start_ms < 0 or self.ts_ns < 0 or self.interval <= 0:
            raise ValueError("signal interval, candle_start_ms and ts_ns must not be negative")

    @property
    def ref(self) -> InstrumentRef:
        return InstrumentRef(self.exchange, self.category, self.symbol)

    def topic(self) -> str:
        """``signal.trade.<exchange>.<category>.<symbol>``."""
        return f"{SIGNAL_KIND}.{self.exchange}.{self.category.value}.{self.symbol}"


def _optional_pct(p: Mapping[str, Any], key: str) -> Decimal | None:
    return None if p.get(key) is None else _dec(p, key)


def signal_to_payload(s: Signal) -> dict[str, Any]:
    return {
        "signal_id": s.signal_id,
        "source": s.source,
        "exchange": s.exchange,
        "category": s.category.value,
        "symbol": s.symbol,
        "action": s.action.value,
        "amount_quote": str(s.amount_quote),
        "take_profit_pct": None if s.take_profit_pct is None else str(s.take_profit_pct),
        "stop_loss_pct": None if s.stop_loss_pct is None else str(s.stop_loss_pct),
        "interval": s.interval,
        "candle_start_ms": s.candle_start_ms,
        "price": str(s.price),
        "ts_ns": s.ts_ns,
    }


def signal_from_payload(p: Mapping[str, Any]) -> Signal:
    """The signal of a payload; PayloadError (a ValueError) naming the first bad field."""
    try:
        category = Category(_get(p, "category"))
    except ValueError:
        raise PayloadError(f"field 'category' must be one of {[c.value for c in Category]}") from None
    try:
        action = Action(_get(p, "action"))
    except ValueError:
        raise PayloadError(f"field 'action' must be one of {[a.value for a in Action]}") from None
    texts = {}
    for key in ("signal_id", "source", "exchange", "symbol"):
        value = _get(p, key)
        if not isinstance(value, str):
            raise PayloadError(f"field {key!r} must be a string, got {type(value).__name__}")
        texts[key] = value
    try:
        return Signal(
            texts["signal_id"], texts["source"], texts["exchange"], category, texts["symbol"], action,
            _dec(p, "amount_quote"), _optional_pct(p, "take_profit_pct"), _optional_pct(p, "stop_loss_pct"),
            _int(p, "interval"), _int(p, "candle_start_ms"), _dec(p, "price"), _int(p, "ts_ns"),
        )  # fmt: skip
    except PayloadError:
        raise
    except ValueError as exc:
        raise PayloadError(str(exc)) from None
