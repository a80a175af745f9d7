"""BusMarketData against a MarketDataService served over the bus, in memory and over RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.bus import collector
from tests.support.http_api import api_access, call
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.sim.stream import SimMarketStream
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.remote import BusMarketData
from tradewind.application.marketdata.rpc import MarketDataResponder
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.messages.marketdata import SUBSCRIBE
from tradewind.application.ports.bus import Bus, BusError
from tradewind.application.venue import OrderRequest, SimVenue
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.domain.market import InstrumentRef, book_from_payload
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.http import HttpServer, create_http_app
from tradewind.settings import load_settings

REF = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "btc")


@pytest.fixture(params=["memory", "rabbitmq"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    settings: RabbitMqSettings | None = None
    if request.param == "rabbitmq":
        settings = request.getfixturevalue("rabbit_settings")
    impl: Bus = InMemoryBus() if settings is None else RabbitMqBus(settings)
    await impl.start()
    yield impl
    await impl.close()


@pytest.fixture
async def served(bus: Bus) -> AsyncIterator[tuple[SimVenue, BusMarketData]]:
    """A collector with one ``sim`` stream served on the bus, its venue, and a client of it on the same bus."""
    clock = WallClock()
    _simulator, venue = market_and_venue(load_settings(None), clock, bus)
    service = MarketDataService(bus, clock, {"sim": SimMarketStream(venue, clock)})
    responder = MarketDataResponder(bus, service)
    await responder.start()
    yield venue, BusMarketData(bus)
    await responder.stop()
    await service.close()


@pytest.fixture
def remote(served: tuple[SimVenue, BusMarketData]) -> BusMarketData:
    return served[1]


async def test_subscribe_through_the_bus_streams_the_market_and_lists_it(bus: Bus, remote: BusMarketData) -> None:
    books, on_book = collector()
    await bus.subscribe(REF.topic("book"), on_book)
    status = await remote.subscribe(REF, 20)
    assert (status.ref, status.depth) == (REF, 20)
    await wait_for(lambda: bool(books))
    (listed,) = await eventually(remote.refresh, lambda rows: bool(rows) and rows[0].synced)
    assert (listed.ref, listed.updates >= 1) == (REF, True)
    assert remote.subscriptions() == [listed]


async def test_unsubscribe_through_the_bus_removes_it_and_an_unknown_one_is_a_key_error(remote: BusMarketData) -> None:
    await remote.subscribe(REF)
    await remote.unsubscribe(REF)
    assert await remote.refresh() == []
    with pytest.raises(KeyError, match="not subscribed: sim spot BTCUSDT"):
        await remote.unsubscribe(REF)


async def test_an_unknown_exchange_is_a_value_error_naming_it_and_subscribes_nothing(remote: BusMarketData) -> None:
    with pytest.raises(ValueError, match="no market-data stream for exchange 'kraken'"):
        await remote.subscribe(InstrumentRef("kraken", Category.SPOT, "BTCUSDT"))
    with pytest.raises(ValueError, match=r"depth must be 1\.\.1000"):
        await remote.subscribe(REF, 5000)
    assert await remote.refresh() == []


async def test_a_malformed_request_is_refused_naming_the_field(bus: Bus, remote: BusMarketData) -> None:
    reply = await bus.request(SUBSCRIBE, {"exchange": "sim", "category": "option", "symbol": "BTCUSDT"})
    assert (reply["ok"], reply["kind"]) == (False, "invalid")
    assert "unknown category 'option'" in reply["error"]
    reply = await bus.request(SUBSCRIBE, {"exchange": "sim", "category": "spot"})
    assert "'symbol'" in reply["error"]
    assert await remote.refresh() == []


async def test_without_a_market_data_service_the_client_raises_a_bus_error() -> None:
    bus = InMemoryBus()
    await bus.start()
    try:
        with pytest.raises(BusError):
            await BusMarketData(bus, timeout=0.2).refresh()
    finally:
        await bus.close()


async def test_the_http_api_over_the_bus_maps_refusals_to_4xx_and_a_silent_service_to_503(
    bus: Bus, remote: BusMarketData
) -> None:
    server = HttpServer(create_http_app(CommandService(market_data=remote), api_access()), "127.0.0.1", 0)
    api = f"http://127.0.0.1:{await server.start()}"
    body = {"exchange": "sim", "category": "spot", "symbol": "BTCUSDT", "matching_key": "btc"}
    try:
        status, refused = await call("POST", f"{api}/subscribe", {**body, "exchange": "kraken"})
        assert status == 400 and "kraken" in refused["detail"]
        assert (await call("POST", f"{api}/unsubscribe", body))[0] == 404
        assert (await call("POST", f"{api}/subscribe", body))[0] == 200
        status, rows = await call("GET", f"{api}/subscriptions")
        assert status == 200 and [(r["exchange"], r["symbol"]) for r in rows] == [("sim", "BTCUSDT")]
    finally:
        await server.stop()
    silent = HttpServer(
        create_http_app(CommandService(market_data=BusMarketData(InMemoryBus(), timeout=0.2)), api_access()),
        "127.0.0.1",
        0,
    )
    api = f"http://127.0.0.1:{await silent.start()}"
    try:
        status, failed = await call("GET", f"{api}/subscriptions")
    finally:
        await silent.stop()
    assert status == 503 and "service unavailable" in failed["detail"]


async def test_the_book_is_mirrored_from_md_book_events_and_served_at_get_book(
    bus: Bus, served: tuple[SimVenue, BusMarketData]
) -> None:
    venue, remote = served
    for side, price in ((Side.BUY, "64000.1"), (Side.BUY, "63999.9"), (Side.SELL, "64001.2")):
        order = OrderRequest(Category.SPOT, "BTCUSDT", side, OrderType.LIMIT, Decimal("0.01"), Decimal(price))
        venue.place_order("tradewind-demo-key", order)
    books, on_book = collector()
    await bus.subscribe(REF.topic("book"), on_book)
    server = HttpServer(create_http_app(CommandService(market_data=remote), api_access()), "127.0.0.1", 0)
    api = f"http://127.0.0.1:{await server.start()}"
    try:
        assert (await call("GET", f"{api}/book?exchange=sim&category=spot&symbol=BTCUSDT"))[0] == 404
        await remote.subscribe(REF, 20)
        await wait_for(lambda: bool(books) and remote.book(REF) == book_from_payload(books[-1].payload))
        mirrored = remote.book(REF)
        assert mirrored is not None and mirrored.bids[0] == (Decimal("64000.1"), Decimal("0.01"))
        status, body = await call("GET", f"{api}/book?exchange=sim&category=spot&symbol=BTCUSDT&depth=3")
        assert status == 200 and (body["seq"], body["matching_key"]) == (mirrored.seq, "btc")
        assert body["bids"] == [[str(p), str(q)] for p, q in mirrored.bids[:3]]
        assert body["asks"] == [[str(p), str(q)] for p, q in mirrored.asks[:3]]
        assert (await call("GET", f"{api}/book?exchange=sim&category=spot&symbol=btc"))[0] == 422
        await remote.unsubscribe(REF)
        assert remote.book(REF) is None
    finally:
        await server.stop()
        await remote.close()
