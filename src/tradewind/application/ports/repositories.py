"""Repository ports: what the application stores and reads back, independent of the database.

Time windows are half-open ``[start_ns, end_ns)`` in UTC epoch nanoseconds; ``None`` leaves a side
open. Results come back oldest first, ties in insertion order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tradewind.domain.candles import Candle
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.order_events import OrderUpdate

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class StoreUnavailable(RuntimeError):
    """The database does not answer now (down, restarting, unreachable): the same call may succeed later."""

    @property
    def detail(self) -> str:
        """How every front end words it (HTTP's 503, the command service, the CLI)."""
        return f"database unavailable: {self}"


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One structured log event as stored: ``fields`` holds the JSON-safe remaining key/values."""

    ts_ns: int
    level: str
    event: str
    logger: str
    job_id: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


class MidHistory(Protocol):
    """Stored mid prices of one market, oldest first: what a TWAP report compares its fills with."""

    async def mids(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[MidPrice]: ...


class MarketDataRepository(MidHistory, Protocol):
    """Trades, mid prices, book snapshots and candles; adding a row already stored is a no-op.

    A candle's time is its start; ``candles`` reads one interval (minutes) of one market.
    """

    async def add_trades(self, trades: Sequence[TradeTick]) -> None: ...

    async def add_mids(self, mids: Sequence[MidPrice]) -> None: ...

    async def add_books(self, books: Sequence[BookSnapshot]) -> None: ...

    async def add_candles(self, candles: Sequence[Candle]) -> None: ...

    async def trades(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[TradeTick]: ...

    async def candles(
        self,
        ref: InstrumentRef,
        interval: int,
        start_ns: int | None = None,
        end_ns: int | None = None,
        *,
        limit: int | None = None,
    ) -> list[Candle]: ...

    async def books(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[BookSnapshot]: ...


class LogRepository(Protocol):
    """Structured log records, queried by job, logger (source) and time."""

    async def add(self, records: Sequence[LogRecord]) -> None: ...

    async def query(
        self,
        *,
        job_id: str | None = None,
        logger: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[LogRecord]: ...


class OrderRepository(Protocol):
    """Order events (states and fills) of the orders Tradewind sends, oldest first."""

    async def add_orders(self, updates: Sequence[OrderUpdate]) -> None: ...

    async def orders(self, exchange: str, client_order_id: str | None = None) -> list[OrderUpdate]: ...


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    """A market-data subscription made at run time, kept so a restart resumes it."""

    ref: InstrumentRef
    depth: int


class SubscriptionRepository(Protocol):
    """Run-time market-data subscriptions: saved on subscribe, deleted on unsubscribe, read back at start."""

    async def save_subscription(self, subscription: StoredSubscription) -> None: ...

    async def delete_subscription(self, ref: InstrumentRef) -> None: ...

    async def stored_subscriptions(self) -> list[StoredSubscription]: ...
