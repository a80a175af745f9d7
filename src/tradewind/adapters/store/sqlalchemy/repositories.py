"""SQLAlchemy repositories behind the async ports; the blocking work runs in ``asyncio.to_thread``.

Rows are built and checked on the caller's side before any SQL runs, and each ``add_*`` call is one
transaction, so a bad record raises a clear error and nothing of its batch is stored. On PostgreSQL
(psycopg 3) market data goes in with COPY (a batch holding an already stored row: row by row, skipping it);
elsewhere with executemany in batches.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, ColumnElement, Insert, Row, Select, Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from tradewind.adapters.store.rows import Refs, log_from_row, mids_from_rows
from tradewind.adapters.store.sqlalchemy.columns import (
    PRECISION,
    SCALE,
    Levels,
    canonical,
    exact,
    levels_literal,
    ns_to_datetime,
)
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


_SIDES = {side.value: side for side in Side}
_CANDLE_NUMBERS = ("open", "high", "low", "close", "volume", "turnover")
_SIDE_TEXT: dict[object, str] = {side: side.value for side in Side} | {side.value: side.value for side in Side}
_INSTRUMENT = ("exchange", "category", "symbol", "matching_key")
TRADE_COLUMNS = (*_INSTRUMENT, "trade_id", "price", "qty", "taker_side", "ts_ns", "ts")
MID_COLUMNS = (*_INSTRUMENT, "mid", "best_bid", "best_ask", "ts_ns", "ts")
BOOK_COLUMNS = (*_INSTRUMENT, "seq", "bids", "asks", "ts_ns", "ts")


def _fits(value: object) -> bool:
    """Whether ``value`` is a Decimal that NUMERIC(38, 18) stores as written (exact()'s cheap common case)."""
    if type(value) is not Decimal:
        return False
    _sign, digits, exponent = value.as_tuple()
    return isinstance(exponent, int) and -SCALE <= exponent <= 0 and len(digits) + exponent <= PRECISION - SCALE


class _RefCells:
    """The four instrument cells of each distinct InstrumentRef in one batch, checked once per ref, not per row."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[InstrumentRef, tuple[str, str, str, str]]] = {}

    def get(self, ref: InstrumentRef) -> tuple[str, str, str, str] | None:
        hit = self._seen.get(id(ref))
        return hit[1] if hit is not None and hit[0] is ref else None

    def check(self, ref: InstrumentRef, what: str) -> tuple[str, str, str, str]:
        r = _ref_row(ref, what)
        cells = (r["exchange"], r["category"], r["symbol"], r["matching_key"])
        self._seen[id(ref)] = (ref, cells)
        return cells


def _ts_cells(ts_ns: int, what: str) -> tuple[int, datetime]:
    if type(ts_ns) is not int or not 0 <= ts_ns <= _MAX_NS:
        _ts(ts_ns, what)  # raises, naming the problem
    return ts_ns, ns_to_datetime(ts_ns)


def trade_rows(trades: Sequence[TradeTick]) -> list[tuple[Any, ...]]:
    """Checked ``market_trades`` rows (TRADE_COLUMNS order); ValueError/TypeError naming the first bad field."""
    refs = _RefCells()
    rows = []
    for t in trades:
        tid = t.trade_id
        if type(tid) is not str or not tid or len(tid) > 64:
            _text(tid, 64, "trade_id")
        price, qty = t.price, t.qty
        if not _fits(price):
            price = exact(price, f"trade {tid!r} price")
        if not _fits(qty):
            qty = exact(qty, f"trade {tid!r} qty")
        side = _SIDE_TEXT.get(t.taker_side) or Side(t.taker_side).value
        instrument = refs.get(t.ref) or refs.check(t.ref, f"trade {tid!r}")
        rows.append((*instrument, tid, price, qty, side, *_ts_cells(t.ts_ns, f"trade {tid!r}")))
    return rows


def mid_rows(mids: Sequence[MidPrice]) -> list[tuple[Any, ...]]:
    """Checked ``market_mids`` rows (MID_COLUMNS order)."""
    refs = _RefCells()
    rows = []
    for m in mids:
        instrument = refs.get(m.ref) or refs.check(m.ref, "mid")
        values = [
            v if _fits(v) else exact(v, f"mid at {m.ts_ns}{suffix}")
            for v, suffix in ((m.mid, ""), (m.best_bid, " best_bid"), (m.best_ask, " best_ask"))
        ]
        rows.append((*instrument, *values, *_ts_cells(m.ts_ns, "mid")))
    return rows


_is_finite = Decimal.is_finite  # unbound: a TypeError for anything but a Decimal, so one C-level pass checks both


def _checked_levels(levels: Sequence[Level], what: str) -> Sequence[Level]:
    """``levels`` if every price and size is a finite Decimal; no rounding check, as the level columns round nothing."""
    try:
        if all(map(_is_finite, chain.from_iterable(levels))):
            return levels
    except TypeError:
        pass
    for i, (p, q) in enumerate(levels):  # name the first bad value
        for value, name in ((p, "price"), (q, "qty")):
            if type(value) is not Decimal or not value.is_finite():
                if type(value) is not Decimal:
                    raise TypeError(f"{what}[{i}] {name}: expected Decimal, got {type(value).__name__} {value!r}")
                raise ValueError(f"{what}[{i}] {name}: {value} is not a finite number")
    return levels


def book_rows(books: Sequence[BookSnapshot]) -> list[tuple[Any, ...]]:
    """Checked ``book_snapshots`` rows (BOOK_COLUMNS order); the levels stay (price, qty) pairs for the column type."""
    refs = _RefCells()
    rows = []
    for b in books:
        seq = b.seq
        instrument = refs.get(b.ref) or refs.check(b.ref, f"book seq {seq}")
        bids = _checked_levels(b.bids, f"book seq {seq} bids")
        asks = _checked_levels(b.asks, f"book seq {seq} asks")
        rows.append((*instrument, seq, bids, asks, *_ts_cells(b.ts_ns, f"book seq {seq}")))
    return rows


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


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _copy_cells(table: Table, names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    # Book levels go as a 2-D array literal, JSON as its text; psycopg dumps the rest (Decimals as their exact text).
    cells: list[Callable[[Any], Any] | None] = []
    for name in names:
        kind = table.c[name].type
        cells.append(levels_literal if isinstance(kind, Levels) else _json_text if isinstance(kind, JSON) else None)
    return cells


def _copy_rows(driver: Connection[Any], table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """COPY checked rows into ``table`` in the connection's open transaction (the caller commits)."""
    from psycopg import sql  # psycopg loads where PostgreSQL is written to, not for a SQLite file

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with driver.cursor() as cur, cur.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def _insert_rows_skipping_stored(
    driver: Connection[Any], table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT the rows one by one in their given order, skipping each already stored (``ON CONFLICT DO NOTHING``)."""
    from psycopg import sql

    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    values = sql.SQL(", ").join(sql.Placeholder() * len(names))
    insert = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
        sql.Identifier(table.name), columns, values
    )
    with driver.cursor() as cur:
        cur.executemany(insert, rows)


class _AlreadyStored(Exception):
    """A unique constraint stopped the COPY: some row of the batch is stored already (its transaction rolled back)."""


class SqlMarketDataRepository(_SqlRepository):
    """MarketDataRepository on SQLAlchemy; trades and books already stored are skipped, not duplicated.

    On PostgreSQL through psycopg 3 each ``add_*`` call is one COPY (``use_copy=False``: executemany).
    """

    def __init__(self, database: Database, *, batch_size: int = DEFAULT_BATCH, use_copy: bool = True) -> None:
        super().__init__(database, batch_size=batch_size)
        self.uses_copy = use_copy and database.backend == "postgresql" and database.url.get_driver_name() == "psycopg"

    def _write_copy(
        self, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]], ignore_duplicates: bool
    ) -> None:
        """One COPY transaction: a batch of new rows (the normal case) goes in at COPY speed.

        With ``ignore_duplicates``, a batch holding an already stored row (a redelivery after a crash, or a repeat
        inside the batch) is stopped by the unique constraint and rolled back; it then goes in row by row in a new
        transaction, in its given order, skipping the stored rows. No staging table, no savepoint round trip.
        """
        cells = _copy_cells(table, names)
        if any(cells):
            rows = [[v if f is None else f(v) for f, v in zip(cells, row, strict=True)] for row in rows]
        try:
            self._in_transaction(table, lambda driver: _copy_rows(driver, table, names, rows), ignore_duplicates)
        except _AlreadyStored:
            self._in_transaction(table, lambda driver: _insert_rows_skipping_stored(driver, table, names, rows), False)

    def _in_transaction(self, table: Table, work: Callable[[Connection[Any]], None], stored_is_expected: bool) -> None:
        import psycopg

        with self._db.engine.begin() as conn:
            driver = cast("Connection[Any]", conn.connection.driver_connection)  # psycopg 3: see uses_copy
            try:
                work(driver)
            except psycopg.Error as exc:
                if stored_is_expected and isinstance(exc, psycopg.errors.UniqueViolation):
                    raise _AlreadyStored from None  # leaving the block rolls the transaction back
                # Raise what the executemany path raises, and keep a dead connection out of the pool.
                gone = driver.closed or driver.broken
                if gone:
                    conn.invalidate()
                raise DBAPIError.instance(
                    f"COPY {table.name}", None, exc, psycopg.Error, connection_invalidated=gone, dialect=conn.dialect
                ) from exc

    async def _store(
        self, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]], *, ignore_duplicates: bool
    ) -> None:
        if not rows:
            return
        if self.uses_copy:
            await asyncio.to_thread(self._write_copy, table, names, rows, ignore_duplicates)
            return
        statement = self._insert_ignoring_duplicates(table) if ignore_duplicates else insert(table)
        await self._add(statement, [dict(zip(names, row, strict=True)) for row in rows])

    async def add_trades(self, trades: Sequence[TradeTick]) -> None:
        await self._store(market_trades, TRADE_COLUMNS, trade_rows(trades), ignore_duplicates=True)

    async def add_mids(self, mids: Sequence[MidPrice]) -> None:
        await self._store(market_mids, MID_COLUMNS, mid_rows(mids), ignore_duplicates=True)

    async def add_books(self, books: Sequence[BookSnapshot]) -> None:
        await self._store(book_snapshots, BOOK_COLUMNS, book_rows(books), ignore_duplicates=True)

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
        if rows:  # a candle a minute per market: the plain insert, not the COPY path of the ticks
            await self._add(self._insert_ignoring_duplicates(market_candles), rows)

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
        ref_of = Refs()
        return [
            Candle(ref_of(r), r.interval, r.ts_ns // 1_000_000, r.open, r.high, r.low, r.close, r.volume,
                   r.turnover, r.trades)
            for r in rows
        ]  # fmt: skip

    async def trades(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[TradeTick]:
        rows = await asyncio.to_thread(self._fetch, _window(market_trades, ref, start_ns, end_ns, limit))
        ref_of = Refs()
        return [TradeTick(ref_of(r), r.trade_id, r.price, r.qty, _SIDES[r.taker_side], r.ts_ns) for r in rows]

    async def mids(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[MidPrice]:
        rows = await asyncio.to_thread(self._fetch, _window(market_mids, ref, start_ns, end_ns, limit))
        return mids_from_rows(rows)

    async def books(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[BookSnapshot]:
        rows = await asyncio.to_thread(self._fetch, _window(book_snapshots, ref, start_ns, end_ns, limit))
        ref_of = Refs()
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
        return [log_from_row(r) for r in rows]
