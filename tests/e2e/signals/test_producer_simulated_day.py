"""The ``trend`` producer on the simulated market for a day at full speed (simulated clock, in-memory bus).

The market runs two hours alone, so the producer warms up from the venue's kline history; then it follows the
trades for the rest of the day. Every signal must be what ``trend`` says on the candles it names, and the candles
built from the bus's trades must be the venue's own klines.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from tests.support.bus import collector
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.signals import CANDLE, SIGNAL
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.signals import producer
from tradewind.bootstrap.simulator import simulated_market
from tradewind.domain.candles import MINUTE_MS, Candle, fill_gaps
from tradewind.domain.market import InstrumentRef
from tradewind.domain.signals.indicators import atr
from tradewind.domain.signals.signal import Action
from tradewind.domain.signals.trend import TrendStrategy
from tradewind.domain.values import Category
from tradewind.settings import Settings, load_settings

STEP_S = 5  # the swarm acts every 5 simulated seconds: a day runs in seconds
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT")
PARAMS = {"fast": 5, "slow": 20, "trend": 60, "average": "ema", "atr_period": 14, "sl_atr": "1.5", "tp_atr": "3"}


def settings_for_the_day() -> Settings:
    return load_settings(
        None,
        simulator={
            "seed": 7, "step_interval_ms": STEP_S * 1000, "book_depth": 1,
            "markets": [{"category": "linear", "symbol": "BTCUSDT"}],
        },
        strategies=[{
            "id": "trend-btc", "name": "trend", "exchange": "sim", "category": "linear", "symbol": "BTCUSDT",
            "interval": 1, "amount_quote": "100", "params": PARAMS,
        }],
        producer={"enabled": True, "close_delay_s": 2, "history_candles": 200},
    )  # fmt: skip


async def test_trend_on_a_simulated_day_signals_what_its_candles_say() -> None:
    clock, bus = SimClock(), InMemoryBus()
    platform = Platform(settings_for_the_day(), clock, bus, distributed=False)
    market = simulated_market(platform)
    await bus.start()
    signals, on_signal = collector()
    candles, on_candle = collector()
    await bus.subscribe("signal.trade.#", on_signal)
    await bus.subscribe("md.candle.#", on_candle)

    async def run_until(hours: int) -> None:
        end_ns = clock.now_ns() + hours * 3600 * 10**9
        while clock.now_ns() < end_ns:
            await clock.advance(STEP_S)
            await market.simulator.step_until(clock.now_ns())

    await run_until(2)  # the market alone: kline history for the warm-up
    parts = producer(platform)
    for component in parts.components:
        if component.start is not None:
            await component.start()
    running = parts.producer.running[0]
    warm = list(running.history)
    assert len(warm) == 120 and warm[-1].end_ms == clock.now_ms()  # every closed minute, none open

    await run_until(22)
    await wait_for(lambda: bus.waiting == 0)
    await parts.producer.stop()
    await bus.close()

    live = [CANDLE.decode(m.payload) for m in candles]
    emitted = [SIGNAL.decode(m.payload) for m in signals]
    actions = {s.action for s in emitted}
    assert {Action.BUY, Action.SELL} <= actions, f"one day gave only {actions}"
    assert len({s.signal_id for s in emitted}) == len(emitted)
    assert {c.ref for c in live} == {InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")}  # the trades' ref

    # The candles built from md.trade are the venue's klines of the same minutes (empty minutes filled alike).
    # The first is left out: the minute was open when the producer subscribed, so it missed its first trades.
    tape = market.venue.tape(Category.LINEAR, "BTCUSDT")
    (first_kline,) = tape.klines("1", live[0].start_ms, live[0].start_ms, 1)
    assert live[0].start_ms == warm[-1].end_ms and live[0].volume < first_kline.volume
    klines = tape.klines("1", live[1].start_ms, live[-1].start_ms, 10_000)
    venue = fill_gaps([Candle(REF, 1, k.start_ms, k.open, k.high, k.low, k.close, k.volume, k.turnover, 0)
                       for k in reversed(klines)])  # fmt: skip
    assert [(c.start_ms, c.open, c.high, c.low, c.close, c.volume, c.turnover) for c in live[1:]] == [
        (c.start_ms, c.open, c.high, c.low, c.close, c.volume, c.turnover) for c in venue
    ]
    assert all(b.start_ms - a.start_ms == MINUTE_MS for a, b in itertools.pairwise(live))

    # Each signal is what trend decides on the candles up to the one it names, and only there.
    history = [*warm, *live]
    strategy = TrendStrategy(parts.producer.running[0].spec)
    decided = [s for i in range(len(warm), len(history)) if (s := strategy.on_candle(history[: i + 1][-200:]))]
    assert [(s.signal_id, s.action, s.price, s.stop_loss_pct) for s in emitted] == [
        (s.signal_id, s.action, s.price, s.stop_loss_pct) for s in decided
    ]
    buy = next(s for s in emitted if s.action is Action.BUY)
    upto = [c for c in history if c.start_ms <= buy.candle_start_ms][-200:]
    assert upto[-1].close == buy.price
    range_ = atr(upto, 14)
    assert buy.stop_loss_pct == (Decimal("1.5") * range_ / buy.price * 100).quantize(Decimal("0.0001"))
    assert buy.take_profit_pct == (3 * range_ / buy.price * 100).quantize(Decimal("0.0001"))
