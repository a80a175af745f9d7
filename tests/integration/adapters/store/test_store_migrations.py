"""Alembic migrations on SQLite and PostgreSQL: head, idempotence, round trip, schema == tables.py."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Numeric, String, column, insert, inspect, text
from sqlalchemy import table as light_table

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Json
from tradewind.adapters.store.sqlalchemy.database import HEAD_REVISION, Database, StorageError
from tradewind.adapters.store.sqlalchemy.tables import MARKET_DATA_TABLES, metadata
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository

TABLES = {"market_trades", "market_mids", "book_snapshots", "logs"}


def _tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names())


def test_upgrade_creates_every_table_at_head(empty_database: Database) -> None:
    assert empty_database.current_revision() is None
    assert not empty_database.at_head()

    empty_database.upgrade()

    assert empty_database.current_revision() == empty_database.head_revision() == HEAD_REVISION
    assert empty_database.at_head()
    assert TABLES | {"alembic_version"} <= _tables(empty_database)


def test_migrated_schema_matches_the_table_definitions(database: Database) -> None:
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_upgrade_again_is_a_no_op_and_downgrade_removes_everything(database: Database) -> None:
    database.upgrade()
    assert database.current_revision() == database.head_revision()

    database.downgrade("base")
    assert database.current_revision() is None
    assert not TABLES & _tables(database)

    database.upgrade()
    assert _tables(database) >= TABLES


def test_market_data_tables_are_indexed_by_instrument_then_time(database: Database) -> None:
    inspector = inspect(database.engine)
    for table in MARKET_DATA_TABLES:
        keys: list[list[str | None]] = [ix["column_names"] for ix in inspector.get_indexes(table)]
        keys += [list(uq["column_names"]) for uq in inspector.get_unique_constraints(table)]
        assert any(cols[:4] == ["exchange", "category", "symbol", "ts"] for cols in keys), (table, keys)
    log_keys = [ix["column_names"] for ix in inspector.get_indexes("logs")]
    assert ["job_id", "ts"] in log_keys


def test_money_columns_are_exact_types_never_float(database: Database) -> None:
    columns = {c["name"]: c["type"] for c in inspect(database.engine).get_columns("market_trades")}
    for name in ("price", "qty"):
        column = columns[name]
        if database.backend == "postgresql":
            assert isinstance(column, Numeric)
            assert (column.precision, column.scale) == (38, 18)
        else:  # SQLite's NUMERIC affinity would store binary floats: text keeps every digit
            assert isinstance(column, String)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_sqlite_file_in_a_missing_folder_gets_the_folder(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'a' / 'b' / 'tw.db'}")
    try:
        database.upgrade()
        assert (tmp_path / "a" / "b" / "tw.db").is_file()
    finally:
        database.dispose()


def test_postgres_schema_holds_the_tables_and_the_version(postgres_url: str, pg_schema: str) -> None:
    database = Database(postgres_url, schema=pg_schema)
    try:
        database.upgrade()
        with database.engine.connect() as conn:
            found = conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": pg_schema}
            )
            assert TABLES | {"alembic_version"} <= set(found.scalars())
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("url", "schema", "message"),
    [
        ("not a url", None, "not a database URL"),
        ("mysql://root@localhost/db", None, "unsupported database 'mysql'"),
        ("sqlite:///x.db", "tw", "only supported on PostgreSQL"),
        ("postgresql+psycopg://postgres@127.0.0.1/test", "Bad-Name; DROP", "must match"),
        ("sqlite+aiosqlite:///x.db", None, "driver 'aiosqlite' of 'sqlite\\+aiosqlite:///x.db' is not installed"),
        ("postgresql+asyncpg://postgres:pw@127.0.0.1/test", None, "driver 'asyncpg' .* is not installed"),
    ],
)
def test_bad_database_settings_are_refused_with_the_reason(url: str, schema: str | None, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        Database(url, schema=schema)


async def test_0021_fills_in_a_trade_closed_before_as_closed_whole_at_its_close_price(database: Database) -> None:
    database.downgrade("0020_deal_best_seen")
    money = ("qty", "fee", "close_fee", "close_price", "entry_price")
    old = light_table(
        "trades", *(column(c) for c in ("key", "created_ns", "created_at", "exchange", "category", "symbol", "side",
                                         "status", "close_reason", "note", "closed_ns")),
        *(column(c, ExactDecimal()) for c in money), column("risk", Json), column("protected_on_exchange", Boolean()),
    )  # fmt: skip
    row = {
        "key": "old", "created_ns": 1, "created_at": datetime(2026, 12, 1, tzinfo=UTC), "exchange": "sim",
        "category": "linear", "symbol": "BTCUSDT", "side": "Buy", "status": "closed", "close_reason": "manual",
        "note": "", "closed_ns": 2, "qty": Decimal("0.016"), "fee": Decimal("0.5"), "close_fee": Decimal("0.4"),
        "close_price": Decimal("59000.5"), "entry_price": Decimal(60000), "risk": {}, "protected_on_exchange": False,
    }  # fmt: skip
    with database.engine.begin() as conn:
        conn.execute(insert(old), row)
    database.upgrade()
    trade = await SqlTradeRepository(database).by_key("old")
    assert trade is not None
    assert (trade.closed_qty, trade.close_value, trade.missing_qty) == (Decimal("0.016"), Decimal("944.008"), 0)
    assert trade.pnl() == (Decimal("59000.5") - 60000) * Decimal("0.016") - Decimal("0.9")
