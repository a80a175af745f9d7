"""CandleFeed following every market on the bus (``track_every``): the dashboard's chart candles of whatever streams."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.bus import collector
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import CANDLE
from tradewind.application.ports.bus import Message
from tradewind.application.signals.candles import IDLE_MINUTES, CandleFeed
from tradewind.domain.candles import Candle
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.values import Category, Side

D = Decimal
START_MS = 1_767_225_600_000  # the SimClock's start, 2026-01-01T00:00:00Z
SIMULATED = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
SUBSCRIBED = InstrumentRef("bybit", Category.SPOT, "ETHUSDT", "ETHUSDT")  # a real exchange's, no strategy on it


async def _trade(bus: InMemoryBus, clock: SimClock, ref: InstrumentRef, price: str, n: int) -> None:
    tick = TradeTick(ref, f"{ref.exchange}-{n}", D(price), D("0.5"), Side.BUY, clock.now_ns())
    await bus.publish(ref.topic("trade"), TRADE.encode(tick))


async def _published(bus: InMemoryBus) -> list[Message]:
    """What is published on ``md.candle.#`` from now on."""
    candles, on_candle = collector()
    await bus.subscribe("md.candle.#", on_candle)
    return candles


def _by_topic(messages: list[Message]) -> dict[str, list[Candle]]:
    out: dict[str, list[Candle]] = {}
    for message in messages:
        out.setdefault(message.topic, []).append(CANDLE.decode(message.payload))
    return out


async def test_every_market_that_trades_gets_one_candle_a_minute_and_a_tracked_one_counts_each_trade_once(
    bus: InMemoryBus,
) -> None:
    clock, candles = SimClock(), await _published(bus)  # the shared fixture's started in-memory bus
    feed = CandleFeed(bus, clock, close_delay_s=1)
    feed.track(SIMULATED, 1)  # a strategy's market on the same feed: its trades must not arrive twice
    feed.track_every(1)
    await feed.start()
    for n, price in enumerate(("100", "104", "99")):
        await _trade(bus, clock, SIMULATED, price, n)
        await _trade(bus, clock, SUBSCRIBED, str(int(price) * 30), n)
        await wait_for(lambda n=n: feed.stats.trades == 2 * (n + 1))  # delivered before the clock moves on
        await clock.advance(10)
    await clock.advance(40)  # past the minute and its close delay
    await feed.stop()

    got = _by_topic(candles)
    assert sorted(got) == ["md.candle.bybit.spot.ETHUSDT.1", "md.candle.sim.linear.BTCUSDT.1"]
    (sim,) = got["md.candle.sim.linear.BTCUSDT.1"]
    assert (sim.start_ms, sim.open, sim.high, sim.low, sim.close, sim.volume, sim.trades) == (
        START_MS, D(100), D(104), D(99), D(99), D("1.5"), 3
    )  # fmt: skip
    (eth,) = got["md.candle.bybit.spot.ETHUSDT.1"]
    assert (eth.ref.matching_key, eth.high, eth.low, eth.trades) == ("ETHUSDT", D(3120), D(2970), 3)


async def test_a_market_first_trading_later_joins_and_an_interval_published_elsewhere_is_not_sent(
    bus: InMemoryBus,
) -> None:
    clock, candles = SimClock(), await _published(bus)
    listened: list[Candle] = []

    async def listener(candle: Candle) -> None:
        listened.append(candle)

    # Distributed: the producer's feed leaves one-minute candles to market-data, its 5-minute ones it publishes.
    feed = CandleFeed(bus, clock, close_delay_s=1, published_elsewhere=[1])
    feed.track(SIMULATED, 1, listener)
    feed.track(SIMULATED, 5)
    await feed.start()
    await _trade(bus, clock, SIMULATED, "100", 0)
    await wait_for(lambda: feed.stats.trades == 1)
    await clock.advance(301)
    await feed.stop()
    assert [c.interval for c in listened] == [1] * 5  # the strategy still gets its one-minute candles
    assert list(_by_topic(candles)) == ["md.candle.sim.linear.BTCUSDT.5"]

    follower = CandleFeed(bus, clock, close_delay_s=1)
    follower.track_every(1)
    await follower.start()
    candles.clear()
    await _trade(bus, clock, SUBSCRIBED, "3000", 1)  # a market subscribed at run time: its first trade starts it
    await wait_for(lambda: follower.stats.trades == 1)
    await clock.advance(60)
    await follower.stop()
    assert [c.ref.symbol for c in _by_topic(candles)["md.candle.bybit.spot.ETHUSDT.1"]] == ["ETHUSDT"]
    with pytest.raises(ValueError, match="interval"):
        follower.track_every(7)


async def test_a_followed_market_leaves_after_an_idle_hour_and_comes_back_with_its_next_trade(bus: InMemoryBus) -> None:
    clock, candles = SimClock(), await _published(bus)
    listened: list[Candle] = []

    async def listener(candle: Candle) -> None:
        listened.append(candle)

    feed = CandleFeed(bus, clock, close_delay_s=1)
    feed.track(SIMULATED, 1, listener)  # a strategy's market: never left, however quiet
    feed.track_every(1)
    await feed.start()
    for ref in (SIMULATED, SUBSCRIBED):
        await _trade(bus, clock, ref, "100", 0)
    await wait_for(lambda: feed.stats.trades == 2)
    await clock.advance(120 * 60 + 1)  # two hours without a trade
    followed = [c.trades for c in _by_topic(candles)["md.candle.bybit.spot.ETHUSDT.1"]]
    assert followed == [1] + [0] * IDLE_MINUTES  # then left: no flat candle a minute for ever
    assert len(listened) == 120

    await _trade(bus, clock, SUBSCRIBED, "101", 1)  # trading again (subscribed anew): followed again
    await wait_for(lambda: feed.stats.trades == 3)
    await clock.advance(60)
    await feed.stop()
    back = _by_topic(candles)["md.candle.bybit.spot.ETHUSDT.1"][-1]
    assert (back.start_ms, back.close, back.trades) == (START_MS + 120 * 60_000, D(101), 1)
