"""The market simulator service on a simulated clock and the in-memory bus: what it publishes, and when."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from decimal import Decimal

import pytest

from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.ports.bus import Message
from tradewind.application.simulator import MarketSimulatorService, SimulatorSettings
from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.market import book_from_payload, mid_from_payload, trade_from_payload
from tradewind.domain.matching import MatchingEngine, OrderStatus, Report
from tradewind.domain.values import Category, OrderType, Side

NS = 1_000_000_000
START_NS = 1_767_225_600 * NS


async def collect(bus: InMemoryBus) -> list[Message]:
    """Every market-data message; a single subscriber, so all is delivered once delivered == published."""
    seen: list[Message] = []

    async def handler(m: Message) -> None:
        seen.append(m)

    await bus.subscribe("md.#", handler)
    return seen


def on(seen: list[Message], prefix: str) -> list[Message]:
    return [m for m in seen if m.topic.startswith(prefix)]


async def run_for(seed: int, seconds: float) -> list[bytes]:
    """A fresh service, bus and clock; the serialised trade stream of ``seconds`` of simulated time."""
    bus = InMemoryBus()
    await bus.start()
    try:
        seen = await collect(bus)
        service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=seed))
        await service.step_until(START_NS + round(seconds * NS))
        await wait_for(lambda: bus.delivered == bus.published)
        return [json.dumps({"topic": m.topic, **m.payload}, sort_keys=True).encode() for m in on(seen, "md.trade.")]
    finally:
        await bus.close()


async def test_service_publishes_trades_mids_and_books_for_spot_and_perp(bus: InMemoryBus) -> None:
    seen = await collect(bus)
    service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=1))
    # A minute: the spot trades a fifth of the perp's flow, about one taker order every two seconds.
    assert await service.step_until(START_NS + 60 * NS) == 600
    await wait_for(lambda: len(seen) == service.published)
    topics = Counter(m.topic for m in seen)
    for kind in ("trade", "mid", "book"):
        for category in ("spot", "linear"):
            assert topics[f"md.{kind}.sim.{category}.BTCUSDT"] > 10
    refs = [trade_from_payload(m.payload).ref for m in on(seen, "md.trade.")]
    refs += [mid_from_payload(m.payload).ref for m in on(seen, "md.mid.")]
    refs += [book_from_payload(m.payload).ref for m in on(seen, "md.book.")]
    assert len(refs) == len(seen)
    assert {r.matching_key for r in refs} == {"BTCUSDT"}
    books = [book_from_payload(m.payload) for m in seen if m.topic.startswith("md.book.")]
    for book in books:
        assert 0 < len(book.bids) <= 50 and 0 < len(book.asks) <= 50
        assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
        assert book.bids[0][0] < book.asks[0][0]
    trade = trade_from_payload(next(m.payload for m in seen if m.topic.startswith("md.trade.sim.spot")))
    assert trade.price == trade.price.quantize(Decimal("0.1")) and trade.qty > 0


async def test_at_most_one_mid_and_one_book_per_step_and_market(bus: InMemoryBus) -> None:
    seen = await collect(bus)
    service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=2))
    await service.step_until(START_NS + 20 * NS)
    await wait_for(lambda: len(seen) == service.published)
    per_step = Counter((m.topic, m.payload["ts_ns"]) for m in seen if not m.topic.startswith("md.trade."))
    assert per_step and max(per_step.values()) == 1
    mids = [mid_from_payload(m.payload) for m in seen if m.topic == "md.mid.sim.spot.BTCUSDT"]
    assert all(a.mid != b.mid for a, b in itertools.pairwise(mids))


async def test_same_seed_gives_the_same_published_trades_and_another_seed_others() -> None:
    first, again, other = await run_for(5, 40), await run_for(5, 40), await run_for(6, 40)
    assert len(first) > 50
    assert first == again
    assert first != other


async def test_run_steps_on_the_clock_until_stopped(bus: InMemoryBus) -> None:
    clock = SimClock(START_NS)
    service = MarketSimulatorService(clock, bus, SimulatorSettings(seed=3, step_interval_ms=250))
    task = asyncio.create_task(service.run())
    await asyncio.sleep(0)
    await clock.advance(10)
    assert service.steps == 40
    service.stop()
    async with asyncio.timeout(2):
        await task
    await clock.advance(10)
    assert service.steps == 40


async def test_an_outside_order_is_published_and_fills_the_swarms_makers(bus: InMemoryBus) -> None:
    seen = await collect(bus)
    service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=4))
    await service.step_until(START_NS + 10 * NS)
    await wait_for(lambda: bus.delivered == bus.published)
    seen.clear()
    engine = service.engine(Category.LINEAR, "BTCUSDT")
    report = engine.submit("client-42", Side.BUY, OrderType.MARKET, 3_000)  # 3 BTC
    assert report.status is OrderStatus.FILLED
    await service.publish_reports(Category.LINEAR, "BTCUSDT", [report])
    await wait_for(lambda: bus.delivered == bus.published)
    trades = on(seen, "md.trade.sim.linear.BTCUSDT")
    assert len(trades) == len(report.fills)
    assert on(seen, "md.book.sim.linear.BTCUSDT") and on(seen, "md.mid.sim.linear.BTCUSDT")
    assert sum(trade_from_payload(m.payload).qty for m in trades) == Decimal("3.000")
    makers = service.swarm.markets["linear:BTCUSDT"].agents
    assert sum(a.position for a in makers) == -3_000  # the swarm sold what the client bought


async def test_the_venue_hook_publishes_in_the_background(bus: InMemoryBus) -> None:
    seen = await collect(bus)
    service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=4))
    await service.step_until(START_NS + 10 * NS)
    await wait_for(lambda: bus.delivered == bus.published)
    seen.clear()
    engine = service.engine(Category.SPOT, "BTCUSDT")
    report = engine.submit("client-7", Side.SELL, OrderType.MARKET, 500_000)  # 0.5 BTC
    service.on_report(engine.instrument, report)
    await wait_for(lambda: len(on(seen, "md.trade.sim.spot.BTCUSDT")) == len(report.fills))
    trades = on(seen, "md.trade.sim.spot.BTCUSDT")
    assert all(trade_from_payload(m.payload).taker_side is Side.SELL for m in trades)


async def test_given_engines_are_used_and_exposed(bus: InMemoryBus) -> None:
    engines = [MatchingEngine(i) for i in default_instruments()]
    service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=5), engines)
    by_key = {e.instrument.key: e for e in engines}
    assert service.engine(Category.SPOT, "BTCUSDT") is by_key["spot:BTCUSDT"]
    assert service.engine(Category.LINEAR, "ETHUSDT") is by_key["linear:ETHUSDT"]
    assert service.ref(Category.LINEAR, "ETHUSDT").matching_key == "ETHUSDT"
    await service.step_until(START_NS + 5 * NS)
    assert by_key["spot:BTCUSDT"].best_bid() is not None
    assert by_key["spot:ETHUSDT"].best_bid() is None  # not in settings.markets: no swarm there
    with pytest.raises(KeyError, match="no simulated market spot:DOGEUSDT"):
        service.engine(Category.SPOT, "DOGEUSDT")


async def test_report_listeners_hear_of_swarm_fills_of_outside_orders(bus: InMemoryBus) -> None:
    service = MarketSimulatorService(SimClock(START_NS), bus, SimulatorSettings(seed=6))
    await service.step_until(START_NS + 5 * NS)
    engine = service.engine(Category.SPOT, "BTCUSDT")
    best_ask = engine.best_ask()
    assert best_ask is not None
    # A client's bid right under the best ask: swarm sellers will hit it.
    engine.submit("client-bid", Side.BUY, OrderType.LIMIT, 300_000, best_ask - 1)
    heard: list[tuple[str, str]] = []
    client_fills: list[int] = []

    def listener(instrument: Instrument, report: Report) -> None:
        heard.append((instrument.key, report.order_id))
        client_fills.extend(f.qty for f in report.fills if f.maker_order_id == "client-bid")

    def broken(instrument: object, report: object) -> None:
        raise RuntimeError("a faulty listener")

    service.add_report_listener(broken)
    remove = service.add_report_listener(listener)
    await service.step_until(START_NS + 65 * NS)
    assert {key for key, _ in heard} == {"spot:BTCUSDT", "linear:BTCUSDT"}
    assert all(not oid.startswith("client") for _, oid in heard)  # only the swarm's own operations
    resting = engine.order("client-bid")
    assert client_fills and sum(client_fills) == 300_000 - (resting.leaves if resting else 0)
    count = len(heard)
    remove()
    await service.step_until(START_NS + 70 * NS)
    assert len(heard) == count
    assert service.steps == 700  # the faulty listener did not stop the market
    assert len(service.engines()) == 2
