"""``trend``: a moving-average cross filtered by the trend, ATR-based levels on BUY, nothing during warm-up."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.market import InstrumentRef
from tradewind.domain.signals.indicators import atr, ema, sma
from tradewind.domain.signals.signal import Action, signal_id
from tradewind.domain.signals.strategy import StrategySpec
from tradewind.domain.signals.trend import TrendParams, TrendStrategy
from tradewind.domain.values import Category

D = Decimal
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT")
T0 = 1_767_225_600_000
PARAMS = {"fast": 2, "slow": 4, "trend": 6, "average": "sma", "atr_period": 3, "sl_atr": "1.5", "tp_atr": "3"}


def spec(params: dict[str, object] | None = None) -> StrategySpec:
    return StrategySpec(
        "trend-btc", "trend", "sim", Category.LINEAR, "BTCUSDT", 1, D(50), PARAMS if params is None else params
    )


def series(closes: Sequence[str], spread: str = "1") -> list[Candle]:
    """One-minute candles closing at ``closes``, each opening at the close before, high/low ``spread`` around."""
    out: list[Candle] = []
    for i, close in enumerate(closes):
        c = D(close)
        o = out[-1].close if out else c
        out.append(Candle(REF, 1, T0 + i * MINUTE_MS, o, max(o, c) + D(spread), min(o, c) - D(spread), c, D(1), c, 1))
    return out


# Falling, then a sharp rise: the 2-candle average crosses above the 4-candle one on the last candle, above the trend.
UP_CROSS = ["100", "100", "100", "100", "100", "99", "98", "97", "96", "104"]


def test_an_upward_cross_above_the_trend_is_a_buy_with_atr_levels() -> None:
    candles = series(UP_CROSS)
    strategy = TrendStrategy(spec())

    signal = strategy.on_candle(candles)

    assert signal is not None and signal.action is Action.BUY
    # ATR(3) of the last three candles: true ranges 3, 3 and 10 (96 -> 104 with 1 either side) -> 16/3.
    range_ = atr(candles, 3)
    assert range_ == D(16) / 3
    assert signal.stop_loss_pct == (D("1.5") * range_ / D(104) * 100).quantize(D("0.0001"))
    assert signal.take_profit_pct == (D(3) * range_ / D(104) * 100).quantize(D("0.0001"))
    assert (signal.stop_loss_pct, signal.take_profit_pct) == (D("7.6923"), D("15.3846"))
    assert (signal.source, signal.amount_quote, signal.price, signal.candle_start_ms) == (
        "trend-btc", D(50), D(104), candles[-1].start_ms
    )  # fmt: skip
    assert signal.signal_id == signal_id("trend-btc", REF, 1, candles[-1].start_ms)


def test_the_same_candles_give_the_same_signal_id_and_another_candle_another() -> None:
    candles = series(UP_CROSS)
    first = TrendStrategy(spec()).on_candle(candles)
    again = TrendStrategy(spec()).on_candle(list(candles))
    later = TrendStrategy(spec()).on_candle(series(["100", *UP_CROSS]))

    assert first is not None and again is not None and later is not None
    assert first.signal_id == again.signal_id != later.signal_id


def test_a_cross_below_the_trend_average_is_no_entry() -> None:
    # The fast average crosses above the slow one, but the close is below the 6-candle (trend) average.
    candles = series(["130", "130", "130", "130", "100", "130", "104"])
    assert sma([c.close for c in candles], 2) > sma([c.close for c in candles], 4)
    assert candles[-1].close <= sma([c.close for c in candles], 6)

    assert TrendStrategy(spec()).on_candle(candles) is None
    assert TrendStrategy(spec({**PARAMS, "trend": 0})).on_candle(candles) is not None  # filter off: a BUY


def test_a_downward_cross_is_a_sell_without_levels() -> None:
    candles = series(["100", "100", "100", "100", "100", "101", "102", "103", "104", "96"])

    signal = TrendStrategy(spec()).on_candle(candles)

    assert signal is not None and signal.action is Action.SELL
    assert (signal.take_profit_pct, signal.stop_loss_pct) == (None, None)


def test_no_cross_is_nothing() -> None:
    rising = series([str(100 + i) for i in range(12)])
    assert TrendStrategy(spec()).on_candle(rising) is None


def test_too_few_candles_for_the_warm_up_give_nothing() -> None:
    strategy = TrendStrategy(spec())
    assert strategy.warmup == 7  # the trend average (6) plus the candle before, for the cross
    candles = series(UP_CROSS)

    assert strategy.on_candle(candles[-6:]) is None
    assert strategy.on_candle(candles[-7:]) is not None


def test_ema_is_the_default_average_and_weights_recent_closes() -> None:
    closes = [D(c) for c in ("10", "11", "12", "13", "20")]
    assert ema(closes, 3) == D(16)  # seeded 11, then 12, then 16
    assert TrendParams().average == "ema"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fast": 5, "slow": 5}, "fast"),
        ({"average": "wma"}, "average must be one of sma, ema"),
        ({"sl_atr": "-1"}, "sl_atr and tp_atr must be positive"),
        ({"fast": "2.5"}, "trend params fast must be a whole number"),
        ({"slow_period": 3}, "unknown slow_period"),
        ({"sl_atr": True}, "trend params sl_atr must be a number"),
    ],
)
def test_bad_params_are_refused_naming_the_parameter(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrendStrategy(spec(params))


def test_indicators_need_enough_values() -> None:
    with pytest.raises(ValueError, match=r"sma\(3\) needs at least 3"):
        sma([D(1)], 3)
    with pytest.raises(ValueError, match=r"atr\(3\) needs at least 4"):
        atr(series(["1", "2", "3"]), 3)
