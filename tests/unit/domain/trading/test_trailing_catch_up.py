"""A long's trailing stop walked through the candles printed while the trader was down: the best raised to their
high, and a close only where the candles prove the price came back to the level after the best."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.instruments import default_instruments
from tradewind.domain.market import InstrumentRef
from tradewind.domain.trading import StopReached, TrailCatchUp, trail_through, trailing_level
from tradewind.domain.values import Category

D = Decimal
BTC = next(i for i in default_instruments() if i.category is Category.LINEAR and i.symbol == "BTCUSDT")
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
T0 = 1_767_225_600_000  # a minute's start
PCT = D("5")


def bar(minute: int, low: str, high: str, close: str | None = None) -> Candle:
    """The one-minute candle ``minute`` minutes after T0 (open at its low, close at ``close`` or its high)."""
    return Candle(REF, 1, T0 + minute * MINUTE_MS, D(low), D(high), D(low), D(close or high), D(1), D(1), 1)


def walk(candles: list[Candle], best: str = "100", *, entry: int = 0, since: int = 0) -> TrailCatchUp:
    return trail_through(candles, D(best), entry_ms=T0 + entry, since_ms=T0 + since, pct=PCT, instrument=BTC)


def test_the_brief_case_a_run_to_110_and_a_fall_to_104_fires_from_110() -> None:
    seen = walk([bar(1, "100", "110"), bar(2, "104", "108", close="104")])
    assert seen == TrailCatchUp(D("110"), T0 + MINUTE_MS, StopReached(D("104"), D("104.5"), T0 + 2 * MINUTE_MS))
    assert trailing_level(D("110"), PCT, BTC) == D("104.5")


def test_a_rise_that_stays_above_the_level_raises_the_best_only() -> None:
    assert walk([bar(1, "100", "110"), bar(2, "105", "109")]) == TrailCatchUp(D("110"), T0 + MINUTE_MS, None)


def test_nothing_higher_leaves_the_best_unraised() -> None:
    assert walk([bar(1, "99", "100"), bar(2, "98", "99.5")]) == TrailCatchUp(D("100"), None, None)
    assert walk([]) == TrailCatchUp(D("100"), None, None)


def test_a_low_after_the_high_fires_even_if_the_price_recovered_since() -> None:
    seen = walk([bar(1, "100", "110"), bar(2, "104", "106"), bar(3, "106", "107")])
    assert (seen.best, seen.fired) == (D("110"), True)  # 104 came a candle after 110: the stop would have fired


def test_a_low_in_the_candle_of_the_high_is_not_taken_as_after_it() -> None:
    seen = walk([bar(1, "104", "110", close="106")])  # which came first within the minute is unknown
    assert (seen.best, seen.fired) == (D("110"), False)


def test_the_minute_of_the_entry_and_the_minute_the_best_was_seen_in_prove_no_retreat() -> None:
    older = bar(0, "90", "120", close="101")  # began before the entry (T0 + 30 s): older prices, skipped
    assert walk([older], entry=30_000, since=30_000) == TrailCatchUp(D("100"), None, None)
    # Began before the best was seen (T0 + 90 s, after the entry): its high counts, its low may come before it.
    seen = walk([bar(1, "90", "105", close="101")], entry=0, since=90_000)
    assert (seen.best, seen.fired) == (D("105"), False)


prices = st.integers(min_value=9_000, max_value=11_000).map(lambda n: D(n) / 100)


@given(st.lists(st.tuples(prices, prices, prices), max_size=30), prices)
def test_the_best_is_the_highest_high_and_never_lowered(rows: list[tuple[D, D, D]], best: D) -> None:
    candles = [
        Candle(REF, 1, T0 + n * MINUTE_MS, lo, max(lo, hi), lo, min(max(lo, hi), max(lo, c)), D(1), D(1), 1)
        for n, (lo, hi, c) in enumerate(rows, start=1)
    ]
    seen = trail_through(candles, best, entry_ms=T0, since_ms=T0, pct=PCT, instrument=BTC)
    assert seen.best == max([best, *(c.high for c in candles)])
    assert (seen.best_ms is None) == (seen.best == best)
    if candles and candles[-1].close <= trailing_level(seen.best, PCT, BTC):
        assert seen.fired  # the last price at or beyond the level always closes
    if not any(c.low <= trailing_level(best, PCT, BTC) for c in candles) and seen.best == best:
        assert not seen.fired  # nothing at the level of the best it started from: no close
