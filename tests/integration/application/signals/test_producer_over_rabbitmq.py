"""The producer over RabbitMQ: its signals wait in the trader's durable work queue; a bad signal is dead-lettered."""

from __future__ import annotations

from decimal import Decimal

from tests.fakes.exchange import FakeExchange
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import SIGNAL
from tradewind.application.ports.bus import Message
from tradewind.application.signals.candles import CandleFeed
from tradewind.application.signals.producer import SignalProducer
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.signals.strategy import StrategySpec
from tradewind.domain.signals.trend import TrendStrategy
from tradewind.domain.values import Category, Side

D = Decimal
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT")
SPEC = StrategySpec(
    "trend-btc", "trend", "sim", Category.LINEAR, "BTCUSDT", 1, D(50),
    {"fast": 2, "slow": 4, "trend": 6, "average": "sma", "atr_period": 3},
)  # fmt: skip
QUEUE = "trader.signals"


def history(end_ms: int) -> list[Candle]:
    closes = [D(c) for c in ("100", "100", "100", "100", "100", "99", "98", "97", "96")]
    first = end_ms - len(closes) * MINUTE_MS
    return [Candle(REF, 1, first + i * MINUTE_MS, c, c + 1, c - 1, c, D(1), c, 1) for i, c in enumerate(closes)]


async def test_a_signal_waits_in_the_durable_queue_and_a_bad_one_is_dead_lettered(rabbit_bus: RabbitMqBus) -> None:
    clock = SimClock()
    received: list[Signal] = []

    async def trader(message: Message) -> None:  # what the trader will do: decode, or dead-letter as poison
        received.append(SIGNAL.decode(message.payload))

    # The trader declares its queue once; it then holds signals while no trader runs.
    subscription = await rabbit_bus.subscribe("signal.trade.#", trader, queue=QUEUE)
    await subscription.cancel()

    exchange = FakeExchange("sim")
    exchange.candles = history(clock.now_ms())
    feed = CandleFeed(rabbit_bus, clock, close_delay_s=1)
    producer = SignalProducer(
        rabbit_bus, clock, feed, strategies=[(SPEC, TrendStrategy(SPEC), "sim")], gateways={"sim": exchange}
    )
    await producer.start()
    for n, price in enumerate(("97", "100", "104")):
        tick = TradeTick(REF, f"t{n}", D(price), D("0.01"), Side.BUY, clock.now_ns() + n * 10**9)
        await rabbit_bus.publish("md.trade.sim.linear.BTCUSDT", TRADE.encode(tick))
    await wait_for(lambda: feed.stats.trades == 3)
    await clock.advance(61)
    await wait_for(lambda: len(producer.published) == 1)
    await producer.stop()
    await rabbit_bus.publish(
        "signal.trade.sim.linear.BTCUSDT", {**SIGNAL.encode(producer.published[0]), "amount_quote": "-1"}
    )

    await rabbit_bus.subscribe("signal.trade.#", trader, queue=QUEUE)  # the trader starts after both were sent
    await wait_for(lambda: len(received) == 1)
    dead = await eventually(lambda: rabbit_bus.dead_letters(QUEUE), bool)

    assert received == producer.published and received[0].action is Action.BUY
    assert [m.payload["amount_quote"] for m in dead] == ["-1"]
