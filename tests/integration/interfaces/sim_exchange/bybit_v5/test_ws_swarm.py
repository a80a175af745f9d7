"""The public streams with the real trader swarm moving the books: every pushed state is one the engine had.

The swarm is stepped here on a simulated clock and its Reports go to ``venue.on_engine_report``, as the
composition root wires it; the streams push on the event loop between steps.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, venue_settings
from tests.support.bybit_ws import LocalBook, raw, topic_is
from tests.support.waiting import wait_for
from tradewind.adapters.clock import SimClock
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.application.venue import SimVenue
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.matching.events import L2Snapshot
from tradewind.domain.simulation.swarm import Swarm
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.bybit_v5 import WebSocketSettings

STEP_NS = 100_000_000
DEPTHS = {"spot:BTCUSDT": 50, "linear:BTCUSDT": 200}


class SwarmMarket:
    def __init__(self) -> None:
        self.clock = SimClock()
        self.engines = {i.key: MatchingEngine(i) for i in default_instruments()}
        self.swarm = Swarm(SimulatorSettings().swarm_config(), self.clock.now_ns(), self.engines)
        self.venue = SimVenue(self.engines.values(), self.clock, venue_settings())
        self.venue.add_report_listener(lambda inst, report: self.swarm.absorb(inst.key, [report]))
        self.truth: dict[str, dict[int, L2Snapshot]] = {key: {} for key in DEPTHS}

    async def step(self) -> None:
        await self.clock.advance_to(self.clock.now_ns() + STEP_NS)
        for step in self.swarm.step(self.clock.now_ns()):
            inst = self.engines[step.key].instrument
            for report in step.reports:
                self.venue.on_engine_report(inst, report)
        for key, depth in DEPTHS.items():  # the streams only ever see the books between steps
            engine = self.engines[key]
            self.truth[key][engine.seq] = engine.snapshot(depth)


@pytest.fixture
async def market() -> AsyncIterator[tuple[SwarmMarket, Served]]:
    m = SwarmMarket()
    for _ in range(100):  # warm-up: both sides quoted
        await m.step()
    fast = WebSocketSettings(book_interval_ms={50: 2, 200: 5}, trade_interval_ms=2)
    runner, port = await start_server(
        create_sim_exchange_app(m.venue, SimExchangeSettings(port=0, websocket=fast)), "127.0.0.1", 0
    )
    yield m, Served(m.venue, f"http://127.0.0.1:{port}", runner)
    await runner.cleanup()


async def test_books_rebuilt_from_the_streams_match_the_engine_at_every_seq_while_the_swarm_trades(
    market: tuple[SwarmMarket, Served], http: aiohttp.ClientSession
) -> None:
    m, served = market
    topics = {"spot:BTCUSDT": "orderbook.50.BTCUSDT", "linear:BTCUSDT": "orderbook.200.BTCUSDT"}
    books = {key: LocalBook(m.engines[key].instrument) for key in DEPTHS}
    deltas = dict.fromkeys(DEPTHS, 0)
    mismatches: list[str] = []
    trades: list[dict[str, Any]] = []
    tape = m.venue.tape(Category.LINEAR, "BTCUSDT")
    async with raw(http, served, "/v5/public/spot") as spot, raw(http, served, "/v5/public/linear") as linear:
        clients = {"spot:BTCUSDT": spot, "linear:BTCUSDT": linear}
        await spot.send(op="subscribe", args=[topics["spot:BTCUSDT"]])
        await linear.send(op="subscribe", args=[topics["linear:BTCUSDT"], "publicTrade.BTCUSDT"])
        for key, client in clients.items():
            books[key].take((await client.until(topic_is(topics[key])))[0])
            m.truth[key][books[key].seq] = m.engines[key].snapshot(DEPTHS[key])
        known = tape.recent(1)[0]

        async def read(key: str) -> None:
            book = books[key]
            while True:
                message = await clients[key].recv()
                if message.get("topic") == "publicTrade.BTCUSDT":
                    trades.extend(message["data"])
                elif message.get("topic") == topics[key]:
                    book.take(message)
                    deltas[key] += 1
                    if book.as_snapshot() != m.truth[key].get(book.seq):
                        mismatches.append(f"{key} differs from the engine at seq {book.seq}")

        def in_step(key: str) -> bool:
            mine, final = books[key].as_snapshot(), m.engines[key].snapshot(DEPTHS[key])
            return (mine.bids, mine.asks) == (final.bids, final.asks)

        readers = [asyncio.create_task(read(key)) for key in DEPTHS]
        try:
            for _ in range(300):
                await m.step()
                await asyncio.sleep(0.001)  # lets the feeds push between steps
            await wait_for(lambda: all(in_step(key) for key in DEPTHS))
            new_trades = []
            for t in tape.recent(1000):
                if t is known:
                    break
                new_trades.append(t)
            await wait_for(lambda: len(trades) >= len(new_trades))
        finally:
            for task in readers:
                task.cancel()
    assert mismatches == []
    assert min(deltas.values()) > 10, f"the swarm should move the top of the books many times: {deltas}"
    assert new_trades and [t["i"] for t in trades] == [t.exec_id for t in reversed(new_trades)]
