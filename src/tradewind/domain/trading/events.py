"""What a trader hears of a position: a trade object or a deal opened or closed, as one event for the bus.

The trade desk publishes ``trade.event.<kind>``, the position manager ``trader.deal.<kind>``; both carry the same
value, with the instrument's tick size, lot step and quote currency so a front end can render it without asking an
exchange. Decimals travel as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from tradewind.domain.instruments import Instrument
from tradewind.domain.market import PayloadError, _dec, _get, _int
from tradewind.domain.trading.deals import Deal
from tradewind.domain.trading.trades import CLOSED_BY_EXCHANGE, Trade, TradeStatus
from tradewind.domain.values import Category, Side

E = TypeVar("E", bound=StrEnum)

TRADE_EVENT_KIND = "trade.event"
DEAL_EVENT_KIND = "trader.deal"


class EventKind(StrEnum):
    OPENED = "opened"  # the entry filled
    CLOSED = "closed"  # the exit filled, or the exchange's own protection closed it
    PARTLY_CLOSED = "partly_closed"  # a trade's own TP / SL filled part of it: the rest is still open


class Origin(StrEnum):
    """Which part holds the position: the trade desk (``buy``/``sell``/``close``) or the position manager."""

    DESK = "desk"
    TRADER = "trader"


_KIND_OF = {Origin.DESK: TRADE_EVENT_KIND, Origin.TRADER: DEAL_EVENT_KIND}


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """One trade or deal opened or closed; ``pnl`` and ``exit_price`` once closed, ``fees`` in quote currency."""

    kind: EventKind
    origin: Origin
    id: int  # the trade's or the deal's id
    source: str  # the strategy instance of a deal; "" for a trade object
    exchange: str
    category: Category
    symbol: str
    side: Side
    qty: Decimal
    entry_price: Decimal
    exit_price: Decimal | None
    pnl: Decimal | None  # realised, fees included
    fees: Decimal  # entry fee, plus the exit fee once closed
    reason: str  # why it closed (a risk strategy's name, take_profit, stop_loss, manual, ...); "" when opened
    by_exchange: bool  # closed by the exchange's own protection, found afterwards
    quote: str
    tick_size: Decimal
    qty_step: Decimal
    ts_ns: int
    # A trade closed in parts: the quantity its own fills closed so far (None: all of ``qty``), and the quantity gone
    # from the exchange's position without a fill of its own (no PnL counted for it); the rest of ``qty`` is open.
    closed_qty: Decimal | None = None
    missing_qty: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        closed = self.kind is not EventKind.OPENED
        if closed != (self.exit_price is not None) or closed != (self.pnl is not None):
            raise ValueError(f"a {self.kind.value} event has exit_price and pnl exactly when closed")
        if self.tick_size <= 0 or self.qty_step <= 0:
            raise ValueError("tick_size and qty_step must be positive")
        if self.id < 0 or self.ts_ns < 0:
            raise ValueError("id and ts_ns must not be negative")
        if self.missing_qty < 0 or (self.closed_qty is not None and not 0 <= self.closed_qty <= self.qty):
            raise ValueError("closed_qty must be between 0 and qty, missing_qty not negative")

    @property
    def open_qty(self) -> Decimal:
        """What is still open after this event: all of ``qty`` once opened, nothing once closed."""
        if self.kind is EventKind.OPENED:
            return self.qty
        if self.kind is EventKind.CLOSED or self.closed_qty is None:
            return Decimal(0)
        return self.qty - self.closed_qty - self.missing_qty

    @property
    def topic(self) -> str:
        """``trade.event.<kind>`` for a trade object, ``trader.deal.<kind>`` for a deal."""
        return f"{_KIND_OF[self.origin]}.{self.kind.value}"


def trade_event(trade: Trade, instrument: Instrument, at_ns: int) -> TradeEvent:
    """A stored trade object's event: opened (at ``at_ns``) while nothing of it closed, closed (when it closed) once
    closed, partly closed (when its last part closed) while open with a part closed."""
    if trade.id is None or trade.entry_price is None:
        raise ValueError("only a stored trade with an entry has events")
    if trade.status is TradeStatus.CLOSED:
        kind = EventKind.CLOSED
    else:
        kind = EventKind.PARTLY_CLOSED if trade.closed_qty or trade.missing_qty else EventKind.OPENED
    closed = kind is not EventKind.OPENED
    return TradeEvent(
        kind, Origin.DESK, trade.id, "", trade.exchange, trade.category, trade.symbol, trade.side, trade.qty,
        trade.entry_price, trade.close_price if closed else None, trade.pnl() if closed else None,
        trade.fee + trade.close_fee, trade.close_reason if closed else "",
        trade.closed_by_exchange or trade.close_reason == CLOSED_BY_EXCHANGE, instrument.quote,
        instrument.tick_size, instrument.qty_step, trade.closed_ns if trade.closed_ns is not None and closed else at_ns,
        trade.closed_qty if closed else None, trade.missing_qty,
    )  # fmt: skip


def deal_event(
    deal: Deal, instrument: Instrument, at_ns: int, reason: str = "", *, by_exchange: bool = False
) -> TradeEvent:
    """A stored BUY deal's event (the position): opened (at ``at_ns``) while open, closed with ``reason`` once
    closed (when it closed: a stop the exchange hit while Tradewind was down keeps the fill's time)."""
    if deal.id is None or deal.price is None:
        raise ValueError("only a stored deal with a fill has events")
    closed = deal.close_price is not None
    return TradeEvent(
        EventKind.CLOSED if closed else EventKind.OPENED, Origin.TRADER, deal.id, deal.source, deal.exchange,
        deal.category, deal.symbol, Side.BUY, deal.qty, deal.price, deal.close_price,
        deal.realised_pnl() if closed else None, deal.fee + deal.close_fee, reason, by_exchange, instrument.quote,
        instrument.tick_size, instrument.qty_step, deal.closed_ns if deal.closed_ns is not None else at_ns,
    )  # fmt: skip


def _opt_dec(p: Mapping[str, Any], key: str) -> Decimal | None:
    return None if _get(p, key) is None else _dec(p, key)


def _text(p: Mapping[str, Any], key: str) -> str:
    value = _get(p, key)
    if not isinstance(value, str):
        raise PayloadError(f"field {key!r} must be a string, got {type(value).__name__}")
    return value


def _choice(p: Mapping[str, Any], key: str, enum: type[E]) -> E:
    value = _get(p, key)
    if not isinstance(value, str) or value not in {e.value for e in enum}:
        raise PayloadError(f"field {key!r} must be one of {[e.value for e in enum]}, got {value!r}")
    return enum(value)


def trade_event_to_payload(e: TradeEvent) -> dict[str, Any]:
    return {
        "kind": e.kind.value, "origin": e.origin.value, "id": e.id, "source": e.source, "exchange": e.exchange,
        "category": e.category.value, "symbol": e.symbol, "side": e.side.value, "qty": str(e.qty),
        "entry_price": str(e.entry_price), "exit_price": None if e.exit_price is None else str(e.exit_price),
        "pnl": None if e.pnl is None else str(e.pnl), "fees": str(e.fees), "reason": e.reason,
        "by_exchange": e.by_exchange, "quote": e.quote, "tick_size": str(e.tick_size), "qty_step": str(e.qty_step),
        "ts_ns": e.ts_ns, "closed_qty": None if e.closed_qty is None else str(e.closed_qty),
        "missing_qty": str(e.missing_qty),
    }  # fmt: skip


def trade_event_from_payload(p: Mapping[str, Any]) -> TradeEvent:
    """The event of a payload; a ValueError naming the first bad field."""
    if not isinstance(p, Mapping):
        raise PayloadError(f"a trade event must be an object, got {type(p).__name__}")
    by_exchange = _get(p, "by_exchange")
    if not isinstance(by_exchange, bool):
        raise PayloadError(f"field 'by_exchange' must be true or false, got {by_exchange!r}")
    return TradeEvent(
        _choice(p, "kind", EventKind), _choice(p, "origin", Origin), _int(p, "id"), _text(p, "source"),
        _text(p, "exchange"), _choice(p, "category", Category), _text(p, "symbol"), _choice(p, "side", Side),
        _dec(p, "qty"), _dec(p, "entry_price"), _opt_dec(p, "exit_price"), _opt_dec(p, "pnl"), _dec(p, "fees"),
        _text(p, "reason"), by_exchange, _text(p, "quote"), _dec(p, "tick_size"), _dec(p, "qty_step"),
        _int(p, "ts_ns"), _opt_dec(p, "closed_qty") if "closed_qty" in p else None,  # absent: from before parts
        _dec(p, "missing_qty") if "missing_qty" in p else Decimal(0),
    )  # fmt: skip
