"""Normalised market-data events: what every venue's trades, books and mids become.

These are the payloads of the ``md.*`` topics. Prices and sizes are Decimal; on the bus they travel
as strings so that no float ever touches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradewind.domain.values import Category, Side

Level = tuple[Decimal, Decimal]


class PayloadError(ValueError):
    """A market-data payload is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class InstrumentRef:
    """Which market an event belongs to; ``matching_key`` groups markets compared with each other."""

    exchange: str
    category: Category
    symbol: str
    matching_key: str = ""

    def topic(self, kind: str) -> str:
        return f"md.{kind}.{self.exchange}.{self.category.value}.{self.symbol}"


@dataclass(frozen=True, slots=True)
class TradeTick:
    ref: InstrumentRef
    trade_id: str
    price: Decimal
    qty: Decimal
    taker_side: Side
    ts_ns: int


@dataclass(frozen=True, slots=True)
class MidPrice:
    ref: InstrumentRef
    mid: Decimal
    best_bid: Decimal
    best_ask: Decimal
    ts_ns: int


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """Top-N levels: bids best (highest) first, asks best (lowest) first."""

    ref: InstrumentRef
    seq: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    ts_ns: int


def _ref_payload(ref: InstrumentRef) -> dict[str, Any]:
    return {
        "exchange": ref.exchange,
        "category": ref.category.value,
        "symbol": ref.symbol,
        "matching_key": ref.matching_key,
    }


def _levels(levels: tuple[Level, ...]) -> list[list[str]]:
    return [[str(p), str(q)] for p, q in levels]


def trade_to_payload(t: TradeTick) -> dict[str, Any]:
    return {
        **_ref_payload(t.ref),
        "trade_id": t.trade_id,
        "price": str(t.price),
        "qty": str(t.qty),
        "taker_side": t.taker_side.value,
        "ts_ns": t.ts_ns,
    }


def mid_to_payload(m: MidPrice) -> dict[str, Any]:
    return {
        **_ref_payload(m.ref),
        "mid": str(m.mid),
        "best_bid": str(m.best_bid),
        "best_ask": str(m.best_ask),
        "ts_ns": m.ts_ns,
    }


def book_to_payload(b: BookSnapshot) -> dict[str, Any]:
    return {**_ref_payload(b.ref), "seq": b.seq, "bids": _levels(b.bids), "asks": _levels(b.asks), "ts_ns": b.ts_ns}


def _get(p: Mapping[str, Any], key: str) -> Any:
    try:
        return p[key]
    except KeyError:
        raise PayloadError(f"missing field {key!r}") from None


def _dec(p: Mapping[str, Any], key: str) -> Decimal:
    raw = _get(p, key)
    if not isinstance(raw, str):
        raise PayloadError(f"field {key!r} must be a decimal string, got {type(raw).__name__}")
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise PayloadError(f"field {key!r} is not a decimal: {raw!r}") from None
    if not value.is_finite():
        raise PayloadError(f"field {key!r} must be finite, got {raw!r}")
    return value


def _int(p: Mapping[str, Any], key: str) -> int:
    raw = _get(p, key)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise PayloadError(f"field {key!r} must be an integer, got {raw!r}")
    return raw


def _ref(p: Mapping[str, Any]) -> InstrumentRef:
    try:
        category = Category(_get(p, "category"))
    except ValueError:
        raise PayloadError(f"field 'category' must be one of {[c.value for c in Category]}") from None
    return InstrumentRef(str(_get(p, "exchange")), category, str(_get(p, "symbol")), str(p.get("matching_key", "")))


def _parse_levels(p: Mapping[str, Any], key: str) -> tuple[Level, ...]:
    raw = _get(p, key)
    if not isinstance(raw, list):
        raise PayloadError(f"field {key!r} must be a list of [price, qty]")
    out: list[Level] = []
    for i, level in enumerate(raw):
        if not isinstance(level, list) or len(level) != 2:
            raise PayloadError(f"{key}[{i}] must be [price, qty]")
        out.append((_level_dec(level[0], key, i, "price"), _level_dec(level[1], key, i, "qty")))
    return tuple(out)


def _level_dec(raw: Any, key: str, i: int, part: str) -> Decimal:
    """``_dec`` of one level's price or size, without building its field name unless it is refused (the hot path)."""
    if isinstance(raw, str):
        try:
            value = Decimal(raw)
        except ArithmeticError:
            value = None
        if value is not None and value.is_finite():
            return value
    return _dec({f"{key}[{i}].{part}": raw}, f"{key}[{i}].{part}")  # raises, naming the field


def trade_from_payload(p: Mapping[str, Any]) -> TradeTick:
    try:
        side = Side(_get(p, "taker_side"))
    except ValueError:
        raise PayloadError("field 'taker_side' must be 'Buy' or 'Sell'") from None
    return TradeTick(_ref(p), str(_get(p, "trade_id")), _dec(p, "price"), _dec(p, "qty"), side, _int(p, "ts_ns"))


def mid_from_payload(p: Mapping[str, Any]) -> MidPrice:
    return MidPrice(_ref(p), _dec(p, "mid"), _dec(p, "best_bid"), _dec(p, "best_ask"), _int(p, "ts_ns"))


def book_from_payload(p: Mapping[str, Any]) -> BookSnapshot:
    return BookSnapshot(_ref(p), _int(p, "seq"), _parse_levels(p, "bids"), _parse_levels(p, "asks"), _int(p, "ts_ns"))
