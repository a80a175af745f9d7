"""SqlTradeRepository: the TradeRepository port on the ``trades`` table (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.adapters.store.sqlalchemy.columns import exact, exact_or_none, ns_to_datetime
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import _text
from tradewind.adapters.store.sqlalchemy.trade_tables import trades as table
from tradewind.application.ports.trades import TradeConflict
from tradewind.domain.trading.trades import LIVE, Trade, TradeStatus
from tradewind.domain.values import Category, Side

_LIVE = [s.value for s in LIVE]


def _row(t: Trade) -> dict[str, Any]:
    what = f"trade {t.key!r}"
    return {
        "key": _text(t.key, 200, "trade key"), "created_ns": t.created_ns, "created_at": ns_to_datetime(t.created_ns),
        "exchange": _text(t.exchange, 32, f"{what} exchange"), "category": Category(t.category).value,
        "symbol": _text(t.symbol, 64, f"{what} symbol"), "side": Side(t.side).value, "qty": exact(t.qty, f"{what} qty"),
        "status": TradeStatus(t.status).value, "risk": {k: str(exact(v, f"{what} {k}")) for k, v in t.risk.items()},
        "entry_price": exact_or_none(t.entry_price, f"{what} entry_price"),
        "best_price": exact_or_none(t.best_price, f"{what} best_price"),
        "fee": exact(t.fee, f"{what} fee"), "protected_on_exchange": t.protected_on_exchange,
        "closed_ns": t.closed_ns, "close_price": exact_or_none(t.close_price, f"{what} close_price"),
        "close_fee": exact(t.close_fee, f"{what} close_fee"), "close_reason": t.close_reason[:64], "note": t.note,
        "tp_order_id": t.tp_order_id[:64], "sl_order_id": t.sl_order_id[:64],
        "closed_by_exchange": t.closed_by_exchange, "closed_qty": exact(t.closed_qty, f"{what} closed_qty"),
        "close_value": exact(t.close_value, f"{what} close_value"),
        "missing_qty": exact(t.missing_qty, f"{what} missing_qty"),
    }  # fmt: skip


def _trade(r: Row[Any]) -> Trade:
    return Trade(
        r.id, r.key, r.created_ns, r.exchange, Category(r.category), r.symbol, Side(r.side), r.qty,
        TradeStatus(r.status), {k: Decimal(v) for k, v in r.risk.items()}, r.entry_price, r.best_price, r.fee,
        bool(r.protected_on_exchange), r.closed_ns, r.close_price, r.close_fee, r.close_reason, r.note,
        r.tp_order_id, r.sl_order_id, bool(r.closed_by_exchange), r.closed_qty, r.close_value, r.missing_qty,
    )  # fmt: skip


class SqlTradeRepository:
    """Each call is one transaction; the unique key index answers TradeConflict."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def insert(self, trade: Trade) -> Trade:
        row = _row(trade)

        def write() -> int:
            try:
                with self._db.engine.begin() as conn:
                    return int(conn.execute(insert(table).returning(table.c.id), row).scalar_one())
            except IntegrityError as exc:
                raise TradeConflict(f"trade {trade.key!r} is stored already") from exc

        return replace(trade, id=await asyncio.to_thread(write))

    async def save(self, trade: Trade) -> None:
        if trade.id is None:
            raise ValueError("save: the trade needs its id (insert it first)")
        row = _row(trade)

        def write() -> None:
            with self._db.engine.begin() as conn:
                conn.execute(update(table).where(table.c.id == trade.id).values(**row))

        await asyncio.to_thread(write)

    async def delete(self, trade_id: int) -> None:
        def write() -> None:
            with self._db.engine.begin() as conn:
                conn.execute(delete(table).where(table.c.id == trade_id))

        await asyncio.to_thread(write)

    async def by_key(self, key: str) -> Trade | None:
        rows = await asyncio.to_thread(self._fetch, select(table).where(table.c.key == key))
        return _trade(rows[0]) if rows else None

    async def live(self) -> list[Trade]:
        query = select(table).where(table.c.status.in_(_LIVE)).order_by(table.c.id)
        return [_trade(r) for r in await asyncio.to_thread(self._fetch, query)]

    async def recent(self, limit: int = 100) -> list[Trade]:
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        return [_trade(r) for r in await asyncio.to_thread(self._fetch, query)]

    def _fetch(self, query: Any) -> list[Row[Any]]:
        with self._db.engine.connect() as conn:
            return list(conn.execute(query).all())
