"""SqlDealRepository: the DealRepository port on the ``deals`` table (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.adapters.store.sqlalchemy.columns import exact, exact_or_none, ns_to_datetime
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_tables import deals as table
from tradewind.adapters.store.sqlalchemy.repositories import _text
from tradewind.application.ports.deals import DealConflict
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import HOLDING, Deal, DealStatus, Protection
from tradewind.domain.values import Category

_HOLDING = [s.value for s in HOLDING]
_RATCHET = ("best_price", "best_ns")


def _row(d: Deal) -> dict[str, Any]:
    what = f"deal {d.client_order_id!r}"
    return {
        "created_ns": d.created_ns,
        "created_at": ns_to_datetime(d.created_ns),
        "exchange": _text(d.exchange, 32, f"{what} exchange"),
        "category": Category(d.category).value,
        "symbol": _text(d.symbol, 64, f"{what} symbol"),
        "source": _text(d.source, 64, f"{what} source"),
        "signal_id": _text(d.signal_id, 64, f"{what} signal_id"),
        "action": Action(d.action).value,
        "client_order_id": _text(d.client_order_id, 36, "client_order_id"),
        "exchange_order_id": d.exchange_order_id[:64],
        "status": DealStatus(d.status).value,
        "amount_quote": exact(d.amount_quote, f"{what} amount_quote"),
        "qty": exact(d.qty, f"{what} qty"),
        "price": exact_or_none(d.price, f"{what} price"),
        "fee": exact(d.fee, f"{what} fee"),
        "take_profit": exact_or_none(d.take_profit, f"{what} take_profit"),
        "stop_loss": exact_or_none(d.stop_loss, f"{what} stop_loss"),
        "take_profit_hit": d.take_profit_hit,
        "stop_loss_hit": d.stop_loss_hit,
        "manually_closed": d.manually_closed,
        "protection": Protection(d.protection).value,
        "closed_ns": d.closed_ns,
        "close_price": exact_or_none(d.close_price, f"{what} close_price"),
        "close_fee": exact(d.close_fee, f"{what} close_fee"),
        "note": d.note,
        "tp_order_id": d.tp_order_id[:64],
        "sl_order_id": d.sl_order_id[:64],
        "best_price": exact_or_none(d.best_price, f"{what} best_price"),
        "trailing_stop_hit": d.trailing_stop_hit,
        "best_ns": d.best_ns,
    }


def _deal(r: Row[Any]) -> Deal:
    return Deal(
        r.id, r.created_ns, r.exchange, Category(r.category), r.symbol, r.source, r.signal_id, Action(r.action),
        r.client_order_id, DealStatus(r.status), r.amount_quote, r.exchange_order_id, r.qty, r.price, r.fee,
        r.take_profit, r.stop_loss, bool(r.take_profit_hit), bool(r.stop_loss_hit), bool(r.manually_closed),
        Protection(r.protection), r.closed_ns, r.close_price, r.close_fee, r.note, r.tp_order_id, r.sl_order_id,
        r.best_price, bool(r.trailing_stop_hit), r.best_ns,
    )  # fmt: skip


def _updates(deals: Sequence[Deal]) -> list[tuple[int, dict[str, Any]]]:
    if any(d.id is None for d in deals):
        raise ValueError("save: every deal needs its id (insert it first)")
    # best_price (and when it was seen) is written by raise_best_price only: a save of a copy read before the ratchet
    # moved never lowers it.
    return [(d.id or 0, {k: v for k, v in _row(d).items() if k not in _RATCHET}) for d in deals]


def _update_unfinished(conn: Connection, updates: list[tuple[int, dict[str, Any]]]) -> None:
    """Rewrite each deal only while its stored row is unfinished (pending, open, closing); DealConflict (the caller's
    transaction rolls back) for a row closed or filled meanwhile, or gone."""
    for deal_id, values in updates:
        done = conn.execute(update(table).where(table.c.id == deal_id, table.c.status.in_(_HOLDING)).values(**values))
        if done.rowcount != 1:
            raise DealConflict(f"deal {deal_id} refused by the database: it is finished (closed or filled) or gone")


class SqlDealRepository:
    """Each call is one transaction; the unique indexes (client id, open position) and a finished row (never
    rewritten) answer DealConflict."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def insert(self, deal: Deal, *, updating: Sequence[Deal] = ()) -> Deal:
        row = _row(deal)
        updates = _updates(updating)

        def write() -> int:
            try:
                with self._db.engine.begin() as conn:
                    _update_unfinished(conn, updates)
                    return int(conn.execute(insert(table).returning(table.c.id), row).scalar_one())
            except IntegrityError as exc:
                raise DealConflict(
                    f"deal {deal.client_order_id} refused by the database: {deal.symbol} of {deal.source} already "
                    "holds a position, or the signal was taken"
                ) from exc

        new_id = await asyncio.to_thread(write)
        return replace(deal, id=new_id)

    async def save(self, *deals: Deal) -> None:
        rows = _updates(deals)

        def write() -> None:
            try:
                with self._db.engine.begin() as conn:
                    _update_unfinished(conn, rows)
            except IntegrityError as exc:
                raise DealConflict(f"deals {[i for i, _ in rows]} refused by the database: {exc.orig}") from exc

        await asyncio.to_thread(write)

    async def raise_best_price(self, deal_id: int, price: Decimal, seen_ns: int) -> None:
        value = exact(price, f"deal {deal_id} best_price")
        # Compared in Python, not SQL: SQLite stores the column as text (a string comparison would be wrong).
        query = select(table.c.best_price).where(table.c.id == deal_id, table.c.status.in_(_HOLDING))

        def write() -> None:
            with self._db.engine.begin() as conn:
                stored = conn.execute(query.with_for_update()).first()
                if stored is not None and (stored.best_price is None or stored.best_price < price):
                    values = {"best_price": value, "best_ns": seen_ns}
                    conn.execute(update(table).where(table.c.id == deal_id).values(**values))

        await asyncio.to_thread(write)

    async def delete(self, deal_id: int) -> None:
        def write() -> None:
            with self._db.engine.begin() as conn:
                conn.execute(delete(table).where(table.c.id == deal_id))

        await asyncio.to_thread(write)

    async def by_client_order_id(self, exchange: str, client_order_id: str) -> Deal | None:
        query = select(table).where(table.c.exchange == exchange, table.c.client_order_id == client_order_id)
        rows = await asyncio.to_thread(self._fetch, query)
        return _deal(rows[0]) if rows else None

    async def open_position(self, exchange: str, category: Category, symbol: str, source: str) -> Deal | None:
        query = select(table).where(
            table.c.exchange == exchange, table.c.category == category.value, table.c.symbol == symbol,
            table.c.source == source, table.c.action == Action.BUY.value, table.c.status.in_(_HOLDING),
        )  # fmt: skip
        rows = await asyncio.to_thread(self._fetch, query)
        return _deal(rows[0]) if rows else None

    async def last_closed_ns(self, exchange: str, category: Category, symbol: str, source: str) -> int | None:
        query = select(func.max(table.c.closed_ns)).where(
            table.c.exchange == exchange, table.c.category == category.value, table.c.symbol == symbol,
            table.c.source == source, table.c.action == Action.BUY.value, table.c.status == DealStatus.CLOSED.value,
        )  # fmt: skip

        def read() -> int | None:
            with self._db.engine.connect() as conn:
                value = conn.execute(query).scalar()
            return None if value is None else int(value)

        return await asyncio.to_thread(read)

    async def open_deals(self) -> list[Deal]:
        query = select(table).where(table.c.action == Action.BUY.value, table.c.status.in_(_HOLDING))
        rows = await asyncio.to_thread(self._fetch, query.order_by(table.c.id))
        return [_deal(r) for r in rows]

    async def deals(self, *, source: str | None = None, symbol: str | None = None, limit: int = 500) -> list[Deal]:
        query = select(table)
        if source is not None:
            query = query.where(table.c.source == source)
        if symbol is not None:
            query = query.where(table.c.symbol == symbol)
        rows = await asyncio.to_thread(self._fetch, query.order_by(table.c.id.desc()).limit(limit))
        return [_deal(r) for r in rows]

    def _fetch(self, query: Any) -> list[Row[Any]]:
        with self._db.engine.connect() as conn:
            return list(conn.execute(query).all())
