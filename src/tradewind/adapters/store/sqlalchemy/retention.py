"""Retention of the bulky market data: book snapshots and mids older than a cutoff, or beyond a row budget."""

from __future__ import annotations

from sqlalchemy import Table, delete, select

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.tables import book_snapshots, market_mids

PRUNED_TABLES: tuple[Table, ...] = (book_snapshots, market_mids)


def prune(database: Database, *, before_ns: int | None, keep_rows: int | None) -> dict[str, int]:
    """Delete rows stamped before ``before_ns`` and, beyond the newest ``keep_rows`` per table, the oldest ones.

    Returns the rows deleted per table; trades and candles are never touched.
    """
    deleted: dict[str, int] = {}
    with database.engine.begin() as conn:
        for table in PRUNED_TABLES:
            count = 0
            if before_ns is not None:
                count += conn.execute(delete(table).where(table.c.ts_ns < before_ns)).rowcount or 0
            if keep_rows is not None:
                # Ids grow with arrival: the newest keep_rows are the highest ids.
                edge = conn.execute(select(table.c.id).order_by(table.c.id.desc()).offset(keep_rows).limit(1)).scalar()
                if edge is not None:
                    count += conn.execute(delete(table).where(table.c.id <= edge)).rowcount or 0
            deleted[table.name] = count
    return deleted
