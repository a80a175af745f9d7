"""The simulated venue's linear BTCUSDT, a real database and the in-memory bus for the position manager and the trade
desk sharing one account (``trader-1``): other accounts move the price; the account's partial TP / SL as the venue
holds them."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.support.bybit_server import seeded_venue
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository
from tradewind.application.trading.service import TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.application.venue import MarketUnit, OrderRequest, SimVenue
from tradewind.domain.candles import Candle
from tradewind.domain.orders import ExecutionFill, PositionSnapshot
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import StopKind

D = Decimal
LINEAR = Category.LINEAR


@dataclass
class VenueRig:
    clock: SimClock
    venue: SimVenue
    database: Database
    bus: InMemoryBus

    def gateway(self) -> SimGateway:
        return SimGateway(self.venue, "trader-1", "sim")

    def trader(self, settings: TraderSettings | None = None, gateway: SimGateway | None = None) -> TraderService:
        """A trader that, as the bootstrap's, counts the trade desk's trades of the account at its reconciliation."""
        return TraderService(
            SqlDealRepository(self.database), {"sim": gateway or self.gateway()}, self.bus, self.clock, settings,
            trades=SqlTradeRepository(self.database),
        )  # fmt: skip

    def trade_at(
        self, price: str, side: Side = Side.SELL, symbol: str = "BTCUSDT", category: Category = LINEAR
    ) -> None:
        """Another account trades 0.01 of ``symbol`` at ``price`` on an otherwise empty book, with depth left there."""
        self.venue.cancel_all("maker", category, symbol)
        resting = side.opposite
        self.venue.place_order("trader-2", OrderRequest(category, symbol, resting, OrderType.LIMIT, D("1"), D(price)))
        unit = MarketUnit.BASE if category is Category.SPOT else None  # 0.01 of the coin, not of USDT
        self.venue.place_order(
            "trader-3", OrderRequest(category, symbol, side, OrderType.MARKET, D("0.01"), market_unit=unit)
        )

    def stops(self) -> dict[str, tuple[StopKind | None, Decimal, Decimal | None]]:
        """trader-1's open partial TP / SL orders on the venue: id -> kind, size, trigger price."""
        account = self.venue.account("trader-1")
        assert account is not None
        return {o.order_id: (o.stop_kind, o.qty, o.trigger_price) for o in account.conditional_orders("BTCUSDT")}


class CountingGateway(SimGateway):
    """A real SimGateway that counts its ``fetch_fills``, ``fetch_positions`` and ``fetch_candles`` calls (what a rate
    limit counts)."""

    def __init__(self, venue: SimVenue, api_key: str, name: str = "sim") -> None:
        super().__init__(venue, api_key, name)
        self.calls: Counter[str] = Counter()

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        self.calls["fetch_fills"] += 1
        return await super().fetch_fills(category, symbol, client_order_id=client_order_id, since_ns=since_ns)

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        self.calls["fetch_positions"] += 1
        return await super().fetch_positions(category)

    async def fetch_candles(self, *args: Any, **kwargs: Any) -> list[Candle]:  # the port's signature, passed on
        self.calls["fetch_candles"] += 1
        return await super().fetch_candles(*args, **kwargs)


@contextlib.asynccontextmanager
async def venue_rig(database: Database) -> AsyncIterator[VenueRig]:
    """A rig on the seeded venue at the simulated clock's start, its in-memory bus started and closed after."""
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    try:
        yield VenueRig(clock, seeded_venue(clock), database, bus)
    finally:
        await bus.close()
