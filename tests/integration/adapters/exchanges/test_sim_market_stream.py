"""SimMarketStream under MarketDataService: a running swarm on the wall clock, the in-memory bus, no network."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.factory import build_market_streams
from tradewind.adapters.exchanges.sim.stream import SimMarketStream
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.ports.bus import Message
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.venue import SimVenue
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.domain.market import InstrumentRef, book_from_payload
from tradewind.domain.values import Category
from tradewind.settings import Settings

DEPTH = 10
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "stream-test")


@dataclass
class Running:
    bus: InMemoryBus
    venue: SimVenue
    simulator: MarketSimulatorService
    md: MarketDataService
    task: asyncio.Task[None]

    async def freeze(self) -> None:
        """Stop the swarm: the engines' seq no longer moves."""
        self.simulator.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    settings = Settings.model_validate({"simulator": {"step_interval_ms": 10}})
    clock = WallClock()
    bus = InMemoryBus()
    await bus.start()
    simulator, venue = market_and_venue(settings, clock, bus)
    md = MarketDataService(bus, clock, build_market_streams(settings.exchanges, venue, clock))
    task = asyncio.create_task(simulator.run())
    system = Running(bus, venue, simulator, md, task)
    try:
        yield system
    finally:
        await system.freeze()
        await md.close()
        await bus.close()


async def test_sim_subscription_local_book_equals_engine_snapshot_at_same_seq(running: Running) -> None:
    bus, venue, md = running.bus, running.venue, running.md
    books: list[Message] = []

    async def on_book(m: Message) -> None:
        if m.payload.get("matching_key") == REF.matching_key:
            books.append(m)

    await bus.subscribe(REF.topic("book"), on_book)
    status = await md.subscribe(REF, DEPTH)
    assert status.ref == REF
    await wait_for(lambda: md.subscriptions()[0].updates >= 20)
    # Freeze the market, then let the stream catch up with the engine's final seq.
    await running.freeze()
    engine = venue.engine(REF.category, REF.symbol)
    await wait_for(lambda: (b := md.book(REF)) is not None and b.seq == engine.seq)

    local = md.book(REF)
    assert local is not None
    inst = engine.instrument
    expected = engine.snapshot(DEPTH)
    assert local.bids == tuple((inst.ticks_to_price(p), inst.lots_to_qty(q)) for p, q in expected.bids)
    assert local.asks == tuple((inst.ticks_to_price(p), inst.lots_to_qty(q)) for p, q in expected.asks)
    assert local.bids and local.asks
    assert md.subscriptions()[0].resyncs == 0
    await wait_for(lambda: bool(books) and book_from_payload(books[-1].payload).seq == engine.seq)
    last = book_from_payload(books[-1].payload)
    assert last.ref == REF
    assert (last.bids, last.asks) == (local.bids, local.asks)


async def test_sim_subscription_to_unknown_symbol_never_syncs(running: Running) -> None:
    md = running.md
    ref = InstrumentRef("sim", Category.LINEAR, "NOPEUSDT", "x")
    await md.subscribe(ref, DEPTH)
    await wait_for(lambda: md.subscriptions()[0].resyncs >= 1)
    assert md.book(ref) is None
    assert md.subscriptions()[0].synced is False


async def test_sim_stream_refuses_non_positive_poll_interval(running: Running) -> None:
    venue = running.venue
    with pytest.raises(ValueError, match="poll_s"):
        SimMarketStream(venue, WallClock(), poll_s=0)
