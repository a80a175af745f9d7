"""The trade desk's answers on the bus: to a ``cmd.trade.<exchange>`` request and to ``rpc.trades`` (the list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradewind.application.messages.codec import Call, Codec
from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, Side

TRADES_TOPIC = "rpc.trades"


@dataclass(frozen=True, slots=True)
class TradeAnswer:
    """The trades a command opened, closed or listed; ``error`` (and no trades) when the desk refused it."""

    trades: tuple[Trade, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class TradesQuery:
    exchange: str | None = None  # None: every exchange
    live_only: bool = True


def trade_to_payload(t: Trade) -> dict[str, Any]:
    return {
        "id": t.id, "key": t.key, "created_ns": t.created_ns, "exchange": t.exchange, "category": t.category.value,
        "symbol": t.symbol, "side": t.side.value, "qty": str(t.qty), "status": t.status.value,
        "risk": {name: str(value) for name, value in t.risk.items()}, "entry_price": _text(t.entry_price),
        "best_price": _text(t.best_price), "fee": str(t.fee), "protected_on_exchange": t.protected_on_exchange,
        "closed_ns": t.closed_ns, "close_price": _text(t.close_price), "close_fee": str(t.close_fee),
        "close_reason": t.close_reason, "note": t.note, "tp_order_id": t.tp_order_id, "sl_order_id": t.sl_order_id,
        "closed_by_exchange": t.closed_by_exchange, "closed_qty": str(t.closed_qty), "close_value": str(t.close_value),
        "missing_qty": str(t.missing_qty),
    }  # fmt: skip


def trade_from_payload(p: Mapping[str, Any]) -> Trade:
    return Trade(
        p["id"], p["key"], int(p["created_ns"]), p["exchange"], Category(p["category"]), p["symbol"], Side(p["side"]),
        Decimal(p["qty"]), TradeStatus(p["status"]), {k: Decimal(v) for k, v in p["risk"].items()},
        _decimal(p["entry_price"]), _decimal(p["best_price"]), Decimal(p["fee"]), bool(p["protected_on_exchange"]),
        p["closed_ns"], _decimal(p["close_price"]), Decimal(p["close_fee"]), p["close_reason"], p["note"],
        # Absent from a desk that predates partial protection: none then.
        str(p.get("tp_order_id", "")), str(p.get("sl_order_id", "")), bool(p.get("closed_by_exchange", False)),
        # Absent from a desk that predates closes in parts: its close_price x qty once closed.
        *_closed_part(p),
    )  # fmt: skip


def _closed_part(p: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    if "closed_qty" in p:
        return Decimal(p["closed_qty"]), Decimal(p["close_value"]), Decimal(p["missing_qty"])
    if p["status"] == TradeStatus.CLOSED.value and p["close_price"] is not None:
        qty = Decimal(p["qty"])
        return qty, Decimal(p["close_price"]) * qty, Decimal(0)
    return Decimal(0), Decimal(0), Decimal(0)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _answer_to_payload(a: TradeAnswer) -> dict[str, Any]:
    return {"trades": [trade_to_payload(t) for t in a.trades], "error": a.error}


def _answer_from_payload(p: Mapping[str, Any]) -> TradeAnswer:
    return TradeAnswer(tuple(trade_from_payload(t) for t in p["trades"]), str(p.get("error", "")))


def _query_to_payload(q: TradesQuery) -> dict[str, Any]:
    return {"exchange": q.exchange, "live_only": q.live_only}


def _query_from_payload(p: Mapping[str, Any]) -> TradesQuery:
    exchange = p.get("exchange")
    if exchange is not None and not isinstance(exchange, str):
        raise ValueError(f"field 'exchange' must be a string or null, got {exchange!r}")
    return TradesQuery(exchange, bool(p.get("live_only", True)))


TRADE_ANSWER: Codec[TradeAnswer] = Codec("trade.answer", _answer_to_payload, _answer_from_payload)
TRADES_CALL: Call[TradesQuery, TradeAnswer] = Call(
    TRADES_TOPIC, Codec(TRADES_TOPIC, _query_to_payload, _query_from_payload), TRADE_ANSWER
)
