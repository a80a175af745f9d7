"""SignalProducer over the in-memory bus, a simulated clock and a fake exchange's kline history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.fakes.exchange import FakeExchange
from tests.support.bus import collector
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import CANDLE, SIGNAL
from tradewind.application.ports.bus import Message
from tradewind.application.signals.candles import CandleFeed
from tradewind.application.signals.producer import SignalProducer
from tradewind.application.signals.settings import ProducerSettings
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.signals.signal import Action, Signal, signal_id
from tradewind.domain.signals.strategy import Strategy, StrategySpec
from tradewind.domain.signals.trend import TrendStrategy
from tradewind.domain.values import Category, Side

D = Decimal
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT")
START_MS = 1_767_225_600_000  # the SimClock's start, 2026-01-01T00:00:00Z
PARAMS = {"fast": 2, "slow": 4, "trend": 6, "average": "sma", "atr_period": 3}
SPEC = StrategySpec("trend-btc", "trend", "sim", Category.LINEAR, "BTCUSDT", 1, D(50), PARAMS)
# Falling closes: the history ends here; one rising live candle then crosses upward (see test_trend.py).
HISTORY = ["100", "100", "100", "100", "100", "99", "98", "97", "96"]


def history(venue_ref: InstrumentRef, closes: Sequence[str], end_ms: int) -> list[Candle]:
    first = end_ms - len(closes) * MINUTE_MS
    out: list[Candle] = []
    for i, close in enumerate(closes):
        c = D(close)
        o = out[-1].close if out else c
        out.append(Candle(venue_ref, 1, first + i * MINUTE_MS, o, max(o, c) + 1, min(o, c) - 1, c, D(1), c, 0))
    return out


@dataclass
class Rig:
    clock: SimClock
    bus: InMemoryBus
    exchange: FakeExchange
    signals: list[Message]
    candles: list[Message]

    def producer(
        self,
        strategy: Strategy | None = None,
        *,
        history_exchange: str | None = "sim",
        published_elsewhere: Sequence[int] = (),
    ) -> SignalProducer:
        feed = CandleFeed(self.bus, self.clock, close_delay_s=0.5, published_elsewhere=published_elsewhere)
        return SignalProducer(
            self.bus, self.clock, feed, strategies=[(SPEC, strategy or TrendStrategy(SPEC), history_exchange)],
            gateways={"sim": self.exchange}, settings=ProducerSettings(history_candles=50),
        )  # fmt: skip

    async def trade(self, price: str, n: int) -> None:
        tick = TradeTick(REF, f"t{n}", D(price), D("0.01"), Side.BUY, self.clock.now_ns())
        await self.bus.publish("md.trade.sim.linear.BTCUSDT", TRADE.encode(tick))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock, bus = SimClock(), InMemoryBus()
    await clock.advance(30)  # mid-minute: the history's newest candle is closed, the current one open
    exchange = FakeExchange("sim")
    # The exchange's newest candle (the open one) is left out of the warm-up; the closed ones are kept.
    exchange.candles = history(
        InstrumentRef("sim", Category.LINEAR, "BTCUSDT"), [*HISTORY, "120"], START_MS + MINUTE_MS
    )
    await bus.start()
    signals, on_signal = collector()
    candles, on_candle = collector()
    await bus.subscribe("signal.trade.#", on_signal)
    await bus.subscribe("md.candle.#", on_candle)
    yield Rig(clock, bus, exchange, signals, candles)
    await bus.close()


async def run_the_rising_minute(rig: Rig) -> None:
    """Trades of the open minute rising to 104, then the clock past the minute's end and the close delay."""
    for n, price in enumerate(("97", "100", "104")):
        await rig.trade(price, n)
        await rig.clock.advance(5)
    await rig.clock.advance(60)


async def test_warm_up_then_a_live_cross_publishes_one_buy_on_the_closed_candle(rig: Rig) -> None:
    producer = rig.producer()
    await producer.start()
    running = producer.running[0]
    assert [c.close for c in running.history] == [D(c) for c in HISTORY]  # closed candles only, our ref
    assert all(c.ref == SPEC.ref for c in running.history)

    await run_the_rising_minute(rig)
    await producer.stop()

    signals = [SIGNAL.decode(m.payload) for m in rig.signals]
    assert [s.action for s in signals] == [Action.BUY]
    signal = signals[0]
    candle = CANDLE.decode(rig.candles[0].payload)
    assert (candle.start_ms, candle.open, candle.close, candle.volume, candle.trades) == (
        START_MS, D(97), D(104), D("0.03"), 3
    )  # fmt: skip
    assert (signal.candle_start_ms, signal.price, signal.source) == (START_MS, D(104), "trend-btc")
    assert signal.signal_id == signal_id("trend-btc", SPEC.ref, 1, START_MS)
    assert rig.signals[0].topic == "signal.trade.sim.linear.BTCUSDT"
    assert rig.exchange.candle_requests[0][2:] == (1, START_MS - 50 * MINUTE_MS, START_MS + 30_000, 50)
    assert rig.exchange.loads == 1  # its instruments first: a ccxt gateway knows no symbol before


async def test_candles_another_service_publishes_still_reach_the_strategy_but_are_not_published_again(
    rig: Rig,
) -> None:
    # Distributed: market-data publishes the chart's one-minute candles of every market on the bus.
    producer = rig.producer(published_elsewhere=[1])
    await producer.start()
    await run_the_rising_minute(rig)
    await producer.stop()

    assert [SIGNAL.decode(m.payload).candle_start_ms for m in rig.signals] == [START_MS]  # the strategy had it
    assert rig.candles == []


async def test_a_restarted_producer_repeats_the_signal_id_of_the_same_candle(rig: Rig) -> None:
    ids: list[str] = []
    for _ in range(2):
        rig.signals.clear()
        clock_before = rig.clock.now_ns()
        producer = rig.producer()
        await producer.start()
        await run_the_rising_minute(rig)
        await producer.stop()
        ids += [SIGNAL.decode(m.payload).signal_id for m in rig.signals]
        rig.clock = SimClock(clock_before)  # the same minute again, as after a crash and a restart
    assert len(ids) == 2 and ids[0] == ids[1]


async def test_without_a_history_exchange_the_strategy_starts_cold_and_waits_for_its_warm_up(rig: Rig) -> None:
    producer = rig.producer(history_exchange=None)
    await producer.start()
    await run_the_rising_minute(rig)
    await producer.stop()

    assert rig.exchange.candle_requests == []
    assert len(producer.running[0].history) == 1
    assert rig.signals == []  # one candle is far from the seven the strategy needs


class Exploding:
    warmup = 1

    def on_candle(self, history: Sequence[Candle]) -> Signal | None:
        raise RuntimeError("strategy bug")


async def test_a_failing_strategy_costs_its_candles_not_the_feed(rig: Rig) -> None:
    producer = rig.producer(Exploding())
    await producer.start()
    await run_the_rising_minute(rig)
    await rig.clock.advance(120)
    await producer.stop()

    assert producer.running[0].errors == 3  # the live candle and two empty minutes after it
    assert len(rig.candles) == 3 and rig.signals == []


async def test_a_malformed_trade_is_counted_and_the_candle_built_from_the_others(rig: Rig) -> None:
    producer = rig.producer()
    await producer.start()
    await rig.bus.publish("md.trade.sim.linear.BTCUSDT", {"price": "1"})
    await run_the_rising_minute(rig)
    await producer.stop()

    feed = producer.feed
    assert (feed.stats.malformed, feed.stats.trades) == (1, 3)
    assert CANDLE.decode(rig.candles[0].payload).trades == 3


async def test_the_producer_declares_the_traders_queue_so_signals_wait_for_a_trader_not_yet_running(rig: Rig) -> None:
    feed = CandleFeed(rig.bus, rig.clock, close_delay_s=0.5)
    producer = SignalProducer(
        rig.bus, rig.clock, feed, strategies=[(SPEC, TrendStrategy(SPEC), None)], gateways={},
        work_queue=("signal.trade.#", "trader.signals"),
    )  # fmt: skip
    await producer.start()
    signal = SPEC.signal(Action.BUY, history(REF, ["100"], START_MS)[0])
    await rig.bus.publish(signal.topic(), SIGNAL.encode(signal))  # before any trader consumes
    later, on_later = collector()
    await rig.bus.subscribe("signal.trade.#", on_later, queue="trader.signals")
    await wait_for(lambda: len(later) == 1)
    assert SIGNAL.decode(later[0].payload) == signal
    await producer.stop()
