"""Market-data subscriptions made at run time survive a restart: saved on subscribe, gone on unsubscribe."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.sim.stream import SimMarketStream
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.subscription_repository import SqlSubscriptionRepository
from tradewind.application.marketdata.service import MarketDataService, MarketDataSettings
from tradewind.application.ports.market_data import MarketStream
from tradewind.application.ports.repositories import StoredSubscription
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.domain.market import InstrumentRef
from tradewind.domain.values import Category
from tradewind.settings import Settings

BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "btc")
ETH_PERP = InstrumentRef("sim", Category.LINEAR, "ETHUSDT", "")
CONFIGURED = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "btc")


@pytest.fixture
async def streams() -> AsyncIterator[dict[str, MarketStream]]:
    bus = InMemoryBus()
    await bus.start()
    clock = WallClock()
    _simulator, venue = market_and_venue(Settings(), clock, bus)
    yield {"sim": SimMarketStream(venue, clock)}
    await bus.close()


async def _service(database: Database, streams: dict[str, MarketStream]) -> MarketDataService:
    bus = InMemoryBus()
    await bus.start()
    settings = MarketDataSettings(subscriptions=(CONFIGURED,))
    service = MarketDataService(bus, WallClock(), streams, settings, store=SqlSubscriptionRepository(database))
    await service.start()
    return service


def _listed(service: MarketDataService) -> list[tuple[InstrumentRef, int]]:
    return sorted(((s.ref, s.depth) for s in service.subscriptions()), key=lambda item: item[0].topic("book"))


async def test_run_time_subscriptions_are_resumed_after_a_restart_and_unsubscribed_ones_are_not(
    database: Database, streams: dict[str, MarketStream]
) -> None:
    first = await _service(database, streams)
    await first.subscribe(BTC, 20)
    await first.subscribe(ETH_PERP)
    await first.unsubscribe(ETH_PERP)
    await first.close()

    second = await _service(database, streams)  # a restart: the config's market, plus what was subscribed at run time
    try:
        assert _listed(second) == [(CONFIGURED, 50), (BTC, 20)]
        await wait_for(lambda: second.book(BTC) is not None)
        await second.unsubscribe(BTC)
    finally:
        await second.close()
    third = await _service(database, streams)
    try:
        assert _listed(third) == [(CONFIGURED, 50)]  # configured markets are never stored, nor removed by unsubscribe
    finally:
        await third.close()
    assert await SqlSubscriptionRepository(database).stored_subscriptions() == []


async def test_a_saved_subscription_of_an_exchange_no_longer_configured_is_skipped_and_kept(
    database: Database, streams: dict[str, MarketStream]
) -> None:
    repo = SqlSubscriptionRepository(database)
    gone = StoredSubscription(InstrumentRef("kraken", Category.SPOT, "XBTUSDT", ""), 10)
    await repo.save_subscription(gone)
    await repo.save_subscription(StoredSubscription(BTC, 5))
    await repo.save_subscription(StoredSubscription(BTC, 30))  # saved again: its depth is updated
    service = await _service(database, streams)
    try:
        assert _listed(service) == [(CONFIGURED, 50), (BTC, 30)]
    finally:
        await service.close()
    assert [s.ref.exchange for s in await repo.stored_subscriptions()] == ["kraken", "sim"]


async def test_a_refused_subscription_is_not_saved(database: Database, streams: dict[str, MarketStream]) -> None:
    service = await _service(database, streams)
    try:
        with pytest.raises(ValueError, match=r"depth must be 1\.\.1000"):
            await service.subscribe(BTC, 5000)
        with pytest.raises(ValueError, match="no market-data stream for exchange 'okx'"):
            await service.subscribe(InstrumentRef("okx", Category.SPOT, "BTCUSDT"))
    finally:
        await service.close()
    assert await SqlSubscriptionRepository(database).stored_subscriptions() == []
