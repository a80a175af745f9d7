"""SQLAlchemy repositories behind the async ports; the blocking work runs in ``asyncio.to_thread``.

Rows are built and checked on the caller's side before any SQL runs, and each ``add_*`` call is one
transaction, so a bad record raises a clear error and nothing of its batch is stored. On PostgreSQL
(psycopg 3) market data goes in with COPY; elsewhere with executemany in batches.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, ColumnElement, Insert, Row, Select, Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, canonical, exact, ns_to_datetime
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.tables import (
    book_snapshots,
    logs,
    market_candles,
    market_mids,
    market_trades,
)
from tradewind.application.ports.repositories import LOG_LEVELS, LogRecord
from tradewind.domain.candles import Candle
from tradewind.domain.market import BookSnapshot, InstrumentRef, Level, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

if TYPE_CHECKING:
    from psycopg import Connection

DEFAULT_BATCH = 1000
_MAX_NS = 2**63 - 1


def _batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _text(value: str, limit: int, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{what}: expected a non-empty string of at most {limit} characters, got {value!r}")
    return value


def _ts(ts_ns: int, what: str) -> dict[str, Any]:
    if not isinstance(ts_ns, int) or isinstance(ts_ns, bool) or not 0 <= ts_ns <= _MAX_NS:
        raise ValueError(f"{what}: ts_ns must be a non-negative 64-bit integer, got {ts_ns!r}")
    return {"ts_ns": ts_ns, "ts": ns_to_datetime(ts_ns)}


def _ref_row(ref: InstrumentRef, what: str) -> dict[str, Any]:
    if len(ref.matching_key) > 64:
        raise ValueError(f"{what}: matching_key longer than 64 characters")
    return {
        "exchange": _text(ref.exchange, 32, f"{what} exchange"),
        "category": Category(ref.category).value,
        "symbol": _text(ref.symbol, 64, f"{what} symbol"),
        "matching_key": ref.matching_key,
    }


class _Refs:
    """One InstrumentRef per distinct instrument of a result, instead of one per row."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str, str], InstrumentRef] = {}

    def __call__(self, row: Row[Any]) -> InstrumentRef:
        key = (row.exchange, row.category, row.symbol, row.matching_key)
        ref = self._seen.get(key)
        if ref is None:
            ref = self._seen[key] = InstrumentRef(key[0], Category(key[1]), key[2], key[3])
        return ref


_SIDES = {side.value: side for side in Side}
_CANDLE_NUMBERS = ("open", "high", "low", "close", "volume", "turnover")


def _levels_json(levels: Sequence[Level], what: str) -> list[list[str]]:
    return [
        [format(exact(p, f"{what}[{i}] price"), "f"), format(exact(q, f"{what}[{i}] qty"), "f")]
        for i, (p, q) in enumerate(levels)
    ]


def _levels(raw: Any) -> tuple[Level, ...]:
    return tuple((canonical(Decimal(p)), canonical(Decimal(q))) for p, q in raw)


def _window(
    table: Table, ref: InstrumentRef, start_ns: int | None, end_ns: int | None, limit: int | None
) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = [
        table.c.exchange == ref.exchange,
        table.c.category == Category(ref.category).value,
        table.c.symbol == ref.symbol,
    ]
    conditions += _time_conditions(table, start_ns, end_ns)
    wanted = [c for c in table.c if c.name not in ("id", "ts")]  # ts_ns already says it, exactly
    query = select(*wanted).where(*conditions).order_by(table.c.ts, table.c.ts_ns, table.c.id)
    return query if limit is None else query.limit(limit)


def _time_conditions(table: Table, start_ns: int | None, end_ns: int | None) -> list[ColumnElement[bool]]:
    # The coarse ``ts`` bound uses the index (and TimescaleDB chunk exclusion); ``ts_ns`` makes it exact.
    out: list[ColumnElement[bool]] = []
    if start_ns is not None:
        out += [table.c.ts >= ns_to_datetime(start_ns), table.c.ts_ns >= start_ns]
    if end_ns is not None:
        out += [table.c.ts <= ns_to_datetime(end_ns), table.c.ts_ns < end_ns]
    return out


class _SqlRepository:
    def __init__(self, database: Database, *, batch_size: int = DEFAULT_BATCH) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._db = database
        self._batch = batch_size

    def _insert_ignoring_duplicates(self, table: Table) -> Insert:
        if self._db.backend == "postgresql":
            return pg_insert(table).on_conflict_do_nothing()
        return sqlite_insert(table).on_conflict_do_nothing()

    def _write(self, statement: Insert, rows: Sequence[dict[str, Any]]) -> None:
        with self._db.engine.begin() as conn:
            for chunk in _batches(rows, self._batch):
                conn.execute(statement, chunk)

    async def _add(self, statement: Insert, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await asyncio.to_thread(self._write, statement, rows)

    def _fetch(self, query: Select[Any]) -> list[Row[Any]]:
        with self._db.engine.connect() as conn:
            return list(conn.execute(query).all())


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _copy_cells(table: Table, names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    # Decimals go as their exact text, never through a float; JSON as its text; the rest psycopg dumps.
    cells: list[Callable[[Any], Any] | None] = []
    for name in names:
        kind = table.c[name].type
        cells.append(
            _decimal_text if isinstance(kind, ExactDecimal) else _json_text if isinstance(kind, JSON) else None
        )
    return cells


def _copy_rows(
    driver: Connection[Any], table: Table, rows: Sequence[dict[str, Any]], *, ignore_duplicates: bool
) -> None:
    """COPY checked rows into ``table`` in the connection's open transaction (the caller commits).

    With ``ignore_duplicates`` the rows go to a temporary table first, then through ``INSERT ... SELECT
    ... ON CONFLICT DO NOTHING`` in their given order, so ids and skipped rows match executemany's.
    """
    from psycopg import sql  # psycopg loads where PostgreSQL is written to, not for a SQLite file

    names = list(rows[0])
    cells = _copy_cells(table, names)
    target = sql.Identifier(table.name)
    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    into, copy_columns = target, columns
    with driver.cursor() as cur:
        if ignore_duplicates:
            into = sql.Identifier(f"tw_copy_{table.name}")
            copy_columns = sql.SQL("tw_ord, {}").format(columns)
            create = "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT 0::bigint AS tw_ord, {} FROM {} WITH NO DATA"
            cur.execute(sql.SQL(create).format(into, columns, target))
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(into, copy_columns)) as copy:
            for i, row in enumerate(rows):
                values = [v if f is None else f(v) for f, v in zip(cells, row.values(), strict=True)]
                copy.write_row([i, *values] if ignore_duplicates else values)
        if ignore_duplicates:
            insert_select = "INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY tw_ord ON CONFLICT DO NOTHING"
            cur.execute(sql.SQL(insert_select).format(target, columns, columns, into))


class SqlMarketDataRepository(_SqlRepository):
    """MarketDataRepository on SQLAlchemy; trades and books already stored are skipped, not duplicated.

    On PostgreSQL through psycopg 3 each ``add_*`` call is one COPY (``use_copy=False``: executemany).
    """

    def __init__(self, database: Database, *, batch_size: int = DEFAULT_BATCH, use_copy: bool = True) -> None:
        super().__init__(database, batch_size=batch_size)
        self.uses_copy = use_copy and database.backend == "postgresql" and database.url.get_driver_name() == "psycopg"

    def _write_copy(self, table: Table, rows: Sequence[dict[str, Any]], ignore_duplicates: bool) -> None:
        import psycopg

        with self._db.engine.begin() as conn:
            driver = cast("Connection[Any]", conn.connection.driver_connection)  # psycopg 3: see uses_copy
            try:
                _copy_rows(driver, table, rows, ignore_duplicates=ignore_duplicates)
            except psycopg.Error as exc:
                # Raise what the executemany path raises, and keep a dead connection out of the pool.
                gone = driver.closed or driver.broken
                if gone:
                    conn.invalidate()
                raise DBAPIError.instance(
                    f"COPY {table.name}", None, exc, psycopg.Error, connection_invalidated=gone, dialect=conn.dialect
                ) from exc

    async def _store(self, table: Table, rows: Sequence[dict[str, Any]], *, ignore_duplicates: bool) -> None:
        if not rows:
            return
        if self.uses_copy:
            await asyncio.to_thread(self._write_copy, table, rows, ignore_duplicates)
        elif ignore_duplicates:
            await self._add(self._insert_ignoring_duplicates(table), rows)
        else:
            await self._add(insert(table), rows)

    async def add_trades(self, trades: Sequence[TradeTick]) -> None:
        rows = [
            {
                **_ref_row(t.ref, f"trade {t.trade_id!r}"),
                "trade_id": _text(t.trade_id, 64, "trade_id"),
                "price": exact(t.price, f"trade {t.trade_id!r} price"),
                "qty": exact(t.qty, f"trade {t.trade_id!r} qty"),
                "taker_side": Side(t.taker_side).value,
                **_ts(t.ts_ns, f"trade {t.trade_id!r}"),
            }
            for t in trades
        ]
        await self._store(market_trades, rows, ignore_duplicates=True)

    async def add_mids(self, mids: Sequence[MidPrice]) -> None:
        rows = [
            {
                **_ref_row(m.ref, "mid"),
                "mid": exact(m.mid, f"mid at {m.ts_ns}"),
                "best_bid": exact(m.best_bid, f"mid at {m.ts_ns} best_bid"),
                "best_ask": exact(m.best_ask, f"mid at {m.ts_ns} best_ask"),
                **_ts(m.ts_ns, "mid"),
            }
            for m in mids
        ]
        await self._store(market_mids, rows, ignore_duplicates=True)

    async def add_books(self, books: Sequence[BookSnapshot]) -> None:
        rows = [
            {
                **_ref_row(b.ref, f"book seq {b.seq}"),
                "seq": b.seq,
                "bids": _levels_json(b.bids, f"book seq {b.seq} bids"),
                "asks": _levels_json(b.asks, f"book seq {b.seq} asks"),
                **_ts(b.ts_ns, f"book seq {b.seq}"),
            }
            for b in books
        ]
        await self._store(book_snapshots, rows, ignore_duplicates=True)

    async def add_candles(self, candles: Sequence[Candle]) -> None:
        rows = []
        for c in candles:
            what = f"candle {c.interval}m at {c.start_ms}"
            try:
                c.check()
            except ValueError as exc:
                raise ValueError(f"{what}: {exc}") from None
            prices = {name: exact(getattr(c, name), f"{what} {name}") for name in _CANDLE_NUMBERS}
            rows.append(
                {**_ref_row(c.ref, what), "interval": c.interval, **prices, "trades": c.trades,
                 **_ts(c.start_ms * 1_000_000, what)}
            )  # fmt: skip
        await self._store(market_candles, rows, ignore_duplicates=True)

    async def candles(
        self,
        ref: InstrumentRef,
        interval: int,
        start_ns: int | None = None,
        end_ns: int | None = None,
        *,
        limit: int | None = None,
    ) -> list[Candle]:
        query = _window(market_candles, ref, start_ns, end_ns, limit).where(market_candles.c.interval == interval)
        rows = await asyncio.to_thread(self._fetch, query)
        ref_of = _Refs()
        return [
            Candle(ref_of(r), r.interval, r.ts_ns // 1_000_000, r.open, r.high, r.low, r.close, r.volume,
                   r.turnover, r.trades)
            for r in rows
        ]  # fmt: skip

    async def trades(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[TradeTick]:
        rows = await asyncio.to_thread(self._fetch, _window(market_trades, ref, start_ns, end_ns, limit))
        ref_of = _Refs()
        return [TradeTick(ref_of(r), r.trade_id, r.price, r.qty, _SIDES[r.taker_side], r.ts_ns) for r in rows]

    async def mids(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[MidPrice]:
        rows = await asyncio.to_thread(self._fetch, _window(market_mids, ref, start_ns, end_ns, limit))
        ref_of = _Refs()
        return [MidPrice(ref_of(r), r.mid, r.best_bid, r.best_ask, r.ts_ns) for r in rows]

    async def books(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[BookSnapshot]:
        rows = await asyncio.to_thread(self._fetch, _window(book_snapshots, ref, start_ns, end_ns, limit))
        ref_of = _Refs()
        return [BookSnapshot(ref_of(r), r.seq, _levels(r.bids), _levels(r.asks), r.ts_ns) for r in rows]


class SqlLogRepository(_SqlRepository):
    """LogRepository on SQLAlchemy: the ``logs`` table that services and jobs write into."""

    async def add(self, records: Sequence[LogRecord]) -> None:
        await self._add(insert(logs), [self.row(r) for r in records])

    @staticmethod
    def row(record: LogRecord) -> dict[str, Any]:
        """The ``logs`` row of a record; ValueError naming what is wrong with it."""
        what = f"log record {record.event!r}"
        if record.level not in LOG_LEVELS:
            raise ValueError(f"{what}: level must be one of {LOG_LEVELS}, got {record.level!r}")
        if record.job_id is not None:
            _text(record.job_id, 64, f"{what} job_id")
        if not isinstance(record.fields, Mapping):
            raise ValueError(f"{what}: fields must be a mapping")
        try:
            json.dumps(record.fields, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}: fields are not JSON-compatible ({exc})") from None
        return {
            **_ts(record.ts_ns, what),
            "level": record.level,
            "event": record.event,
            "logger": _text(record.logger, 200, f"{what} logger"),
            "job_id": record.job_id,
            "fields": dict(record.fields),
        }

    async def query(
        self,
        *,
        job_id: str | None = None,
        logger: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[LogRecord]:
        conditions = _time_conditions(logs, start_ns, end_ns)
        if job_id is not None:
            conditions.append(logs.c.job_id == job_id)
        if logger is not None:
            conditions.append(logs.c.logger == logger)
        wanted = [c for c in logs.c if c.name not in ("id", "ts")]
        query = select(*wanted).where(*conditions).order_by(logs.c.ts, logs.c.ts_ns, logs.c.id)
        rows = await asyncio.to_thread(self._fetch, query if limit is None else query.limit(limit))
        return [LogRecord(r.ts_ns, r.level, r.event, r.logger, r.job_id, r.fields) for r in rows]
