"""SqlOrderRepository: the OrderRepository port (``orders`` table), executemany in one transaction per call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select

from tradewind.adapters.store.sqlalchemy.columns import exact, exact_or_none
from tradewind.adapters.store.sqlalchemy.order_tables import orders
from tradewind.adapters.store.sqlalchemy.repositories import _SqlRepository, _text, _ts
from tradewind.domain.order_events import OrderEventKind, OrderUpdate
from tradewind.domain.orders import OrderState
from tradewind.domain.values import Category, Side


def _row(u: OrderUpdate) -> dict[str, Any]:
    what = f"order {u.client_order_id!r}"
    return {
        "exchange": _text(u.exchange, 32, f"{what} exchange"),
        "category": Category(u.category).value,
        "symbol": _text(u.symbol, 64, f"{what} symbol"),
        "client_order_id": _text(u.client_order_id, 64, "client_order_id"),
        "kind": OrderEventKind(u.kind).value,
        "side": None if u.side is None else Side(u.side).value,
        "exchange_order_id": u.exchange_order_id[:64],
        "state": None if u.state is None else OrderState(u.state).value,
        "qty": exact_or_none(u.qty, f"{what} qty"),
        "price": exact_or_none(u.price, f"{what} price"),
        "filled_qty": exact(u.filled_qty, f"{what} filled_qty"),
        "avg_price": exact_or_none(u.avg_price, f"{what} avg_price"),
        "fee": exact(u.fee, f"{what} fee"),
        "fee_currency": u.fee_currency[:16],
        "reject_reason": u.reject_reason,
        "trade_id": u.trade_id[:64],
        "is_maker": u.is_maker,
        **_ts(u.ts_ns, what),
    }


def _update(r: Row[Any]) -> OrderUpdate:
    return OrderUpdate(
        OrderEventKind(r.kind), r.exchange, Category(r.category), r.symbol, r.client_order_id, r.ts_ns,
        side=None if r.side is None else Side(r.side), exchange_order_id=r.exchange_order_id,
        state=None if r.state is None else OrderState(r.state), qty=r.qty, price=r.price, filled_qty=r.filled_qty,
        avg_price=r.avg_price, fee=r.fee, fee_currency=r.fee_currency, reject_reason=r.reject_reason,
        trade_id=r.trade_id, is_maker=r.is_maker,
    )  # fmt: skip


class SqlOrderRepository(_SqlRepository):
    """Order events are few: plain executemany; a bad event raises naming it and nothing of its batch is stored.

    A fill already stored (same exchange and trade id) is skipped, so reporting it again changes nothing.
    """

    async def add_orders(self, updates: Sequence[OrderUpdate]) -> None:
        await self._add(self._insert_ignoring_duplicates(orders), [_row(u) for u in updates])

    async def orders(self, exchange: str, client_order_id: str | None = None) -> list[OrderUpdate]:
        query = select(orders).where(orders.c.exchange == exchange)
        if client_order_id is not None:
            query = query.where(orders.c.client_order_id == client_order_id)
        rows = await asyncio.to_thread(self._fetch, query.order_by(orders.c.ts, orders.c.id))
        return [_update(r) for r in rows]
