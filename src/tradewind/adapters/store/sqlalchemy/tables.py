"""The relational schema as SQLAlchemy Core tables; migrations/versions must build exactly this.

Every timestamp is kept twice: ``ts_ns`` (BigInteger epoch ns, exact) and ``ts`` (timestamp with time
zone, microseconds) which carries the indexes, TimescaleDB's partitioning and ad-hoc SQL such as
``WHERE ts > now() - interval '1 hour'``. Queries filter on ``ts`` for the index and on ``ts_ns``
for exactness. Tables are unqualified: the connection's search_path chooses the schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Id, Json, Levels

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# The tables TimescaleDB turns into hypertables on ``ts`` when the extension is available.
MARKET_DATA_TABLES = ("market_trades", "market_mids", "book_snapshots")


def _instrument() -> list[Column[Any]]:
    return [
        Column("exchange", String(32), nullable=False),
        Column("category", String(16), nullable=False),
        Column("symbol", String(64), nullable=False),
        Column("matching_key", String(64), nullable=False, server_default=""),
    ]


def _time() -> list[Column[Any]]:
    return [
        Column("ts_ns", BigInteger, nullable=False),
        Column("ts", DateTime(timezone=True), nullable=False),
    ]


market_trades = Table(
    "market_trades",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_instrument(),
    Column("trade_id", String(64), nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("qty", ExactDecimal, nullable=False),
    Column("taker_side", String(4), nullable=False),
    *_time(),
    # Doubles as the (instrument, time) index and makes a redelivered trade a no-op.
    UniqueConstraint("exchange", "category", "symbol", "ts", "trade_id", name="uq_market_trades_instrument_ts"),
)

market_mids = Table(
    "market_mids",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_instrument(),
    Column("mid", ExactDecimal, nullable=False),
    Column("best_bid", ExactDecimal, nullable=False),
    Column("best_ask", ExactDecimal, nullable=False),
    *_time(),
    # Doubles as the (instrument, time) index and makes a redelivered mid a no-op (see migration 0007).
    Index(
        "ux_market_mids_instrument_ts",
        "exchange",
        "category",
        "symbol",
        "ts",
        "ts_ns",
        "best_bid",
        "best_ask",
        unique=True,
    ),
)

book_snapshots = Table(
    "book_snapshots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_instrument(),
    Column("seq", BigInteger, nullable=False),
    Column("bids", Levels, nullable=False),  # [[price, qty], ...] best first: NUMERIC[][] (PostgreSQL), JSON (SQLite)
    Column("asks", Levels, nullable=False),
    *_time(),
    UniqueConstraint("exchange", "category", "symbol", "ts", "seq", name="uq_book_snapshots_instrument_ts"),
)

market_candles = Table(
    "market_candles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_instrument(),
    Column("interval", Integer, nullable=False),  # minutes
    Column("open", ExactDecimal, nullable=False),
    Column("high", ExactDecimal, nullable=False),
    Column("low", ExactDecimal, nullable=False),
    Column("close", ExactDecimal, nullable=False),
    Column("volume", ExactDecimal, nullable=False),
    Column("turnover", ExactDecimal, nullable=False),
    Column("trades", Integer, nullable=False),
    *_time(),  # the candle's start
    # One candle per market, interval and start: doubles as the (instrument, time) index; a repeat is a no-op.
    UniqueConstraint("exchange", "category", "symbol", "interval", "ts", name="uq_market_candles_instrument_ts"),
)

logs = Table(
    "logs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_time(),
    Column("level", String(16), nullable=False),
    Column("event", Text, nullable=False),
    Column("logger", String(200), nullable=False),
    Column("job_id", String(64), nullable=True),
    Column("fields", Json, nullable=False),
    Index("ix_logs_ts", "ts"),
    Index("ix_logs_job_id_ts", "job_id", "ts"),
    Index("ix_logs_logger_ts", "logger", "ts"),
)

# The TWAP, order, subscription, command, deal, trade, spread and APScheduler tables live in their own modules;
# importing them completes ``metadata``.
from tradewind.adapters.store.sqlalchemy import command_tables as _command_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import deal_tables as _deal_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import order_tables as _order_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import schedule_tables as _schedule_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import spread_tables as _spread_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import subscription_tables as _subscription_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import trade_tables as _trade_tables  # noqa: E402, F401
from tradewind.adapters.store.sqlalchemy import twap_tables as _twap_tables  # noqa: E402, F401
