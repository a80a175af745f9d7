"""What an exchange said about one of our orders (a state or a fill), as the ``order.event`` topic carries it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradewind.domain.orders import ExecutionFill, OrderResult, OrderState
from tradewind.domain.values import Category, Side

ORDER_TOPIC = "order.event"  # the bus topic (design.md) gateways publish every state and fill of ours on


class OrderEventKind(StrEnum):
    STATE = "state"  # an OrderResult: accepted, (partially) filled, cancelled, rejected
    FILL = "fill"  # an ExecutionFill


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One order event; ``state`` fields are set for a STATE, ``trade_id``/``is_maker`` for a FILL."""

    kind: OrderEventKind
    exchange: str
    category: Category
    symbol: str
    client_order_id: str
    ts_ns: int
    side: Side | None = None
    exchange_order_id: str = ""
    state: OrderState | None = None
    qty: Decimal | None = None
    price: Decimal | None = None
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    fee: Decimal = Decimal(0)
    fee_currency: str = ""
    reject_reason: str | None = None
    trade_id: str = ""
    is_maker: bool | None = None


def update_from_result(exchange: str, category: Category, result: OrderResult, ts_ns: int) -> OrderUpdate:
    return OrderUpdate(
        OrderEventKind.STATE, exchange, category, result.symbol, result.client_order_id, ts_ns,
        side=result.side, exchange_order_id=result.exchange_order_id, state=result.state, qty=result.qty,
        price=result.price, filled_qty=result.filled_qty, avg_price=result.avg_price, fee=result.fee,
        fee_currency=result.fee_currency, reject_reason=result.reject_reason,
    )  # fmt: skip


def update_from_fill(exchange: str, category: Category, fill: ExecutionFill) -> OrderUpdate:
    return OrderUpdate(
        OrderEventKind.FILL, exchange, category, fill.symbol, fill.client_order_id, fill.ts_ns,
        side=fill.side, qty=fill.qty, price=fill.price, filled_qty=fill.qty, avg_price=fill.price, fee=fill.fee,
        fee_currency=fill.fee_currency, trade_id=fill.trade_id, is_maker=fill.is_maker,
    )  # fmt: skip


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def order_update_to_payload(u: OrderUpdate) -> dict[str, Any]:
    return {
        "kind": u.kind.value,
        "exchange": u.exchange,
        "category": u.category.value,
        "symbol": u.symbol,
        "client_order_id": u.client_order_id,
        "ts_ns": u.ts_ns,
        "side": None if u.side is None else u.side.value,
        "exchange_order_id": u.exchange_order_id,
        "state": None if u.state is None else u.state.value,
        "qty": _dec(u.qty),
        "price": _dec(u.price),
        "filled_qty": str(u.filled_qty),
        "avg_price": _dec(u.avg_price),
        "fee": str(u.fee),
        "fee_currency": u.fee_currency,
        "reject_reason": u.reject_reason,
        "trade_id": u.trade_id,
        "is_maker": u.is_maker,
    }


def order_update_from_payload(p: Mapping[str, Any]) -> OrderUpdate:
    """The inverse of ``order_update_to_payload``; a missing or invalid field raises KeyError / ValueError."""
    ts_ns = p["ts_ns"]
    if not isinstance(ts_ns, int) or isinstance(ts_ns, bool):
        raise ValueError(f"order event ts_ns must be an integer, got {ts_ns!r}")
    return OrderUpdate(
        kind=OrderEventKind(p["kind"]),
        exchange=str(p["exchange"]),
        category=Category(p["category"]),
        symbol=str(p["symbol"]),
        client_order_id=str(p["client_order_id"]),
        ts_ns=ts_ns,
        side=None if p.get("side") is None else Side(p["side"]),
        exchange_order_id=str(p.get("exchange_order_id", "")),
        state=None if p.get("state") is None else OrderState(p["state"]),
        qty=_opt_dec(p.get("qty")),
        price=_opt_dec(p.get("price")),
        filled_qty=Decimal(str(p.get("filled_qty", "0"))),
        avg_price=_opt_dec(p.get("avg_price")),
        fee=Decimal(str(p.get("fee", "0"))),
        fee_currency=str(p.get("fee_currency", "")),
        reject_reason=p.get("reject_reason"),
        trade_id=str(p.get("trade_id", "")),
        is_maker=p.get("is_maker"),
    )
