"""A watched long's fixed stop-loss checked against the candles printed while the trader was down: a close only where
the candles prove the price reached the level after the trader last saw the market, by the trailing stop's rules;
and which of the two stops fired first when both did."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.domain.trading.test_trailing_catch_up import REF, T0, bar, prices
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.trading import CloseReason, StopReached, first_stop, stop_through

D = Decimal
SL = D("95")


def proof(candles: list[Candle], *, entry: int = 0, since: int = 0, stop: Decimal = SL) -> StopReached | None:
    return stop_through(candles, stop, entry_ms=T0 + entry, since_ms=T0 + since)


def test_a_dip_through_the_stop_that_recovered_since_is_proven_by_its_low_and_minute() -> None:
    candles = [bar(1, "97", "100"), bar(2, "94", "98"), bar(3, "93", "97"), bar(4, "99", "101")]
    assert proof(candles) == StopReached(D("94"), SL, T0 + 2 * MINUTE_MS)  # the first candle through, not the lowest


def test_a_market_that_stayed_above_the_stop_proves_nothing() -> None:
    assert proof([bar(1, "95.1", "100"), bar(2, "96", "99")]) is None
    assert proof([]) is None


def test_the_level_itself_is_reached() -> None:
    assert proof([bar(1, "95", "100")]) == StopReached(SL, SL, T0 + MINUTE_MS)


def test_the_minute_the_market_was_last_seen_in_proves_no_dip_but_its_close_is_the_last_price() -> None:
    # Seen at T0 + 90 s: the low of the minute from T0 + 60 s may come before it, when the trader was watching.
    assert proof([bar(1, "90", "100", close="96")], since=90_000) is None
    last = proof([bar(1, "90", "100", close="94")], since=90_000)  # the last price is at or below the stop now
    assert last == StopReached(D("94"), SL, T0 + MINUTE_MS)


def test_a_candle_begun_before_the_entry_is_skipped_altogether() -> None:
    older = bar(0, "80", "100", close="90")  # the entry came at T0 + 30 s: these prices may all be older
    assert proof([older], entry=30_000, since=30_000) is None
    assert proof([older, bar(1, "93", "99")], entry=30_000, since=30_000) == StopReached(D("93"), SL, T0 + MINUTE_MS)


def test_the_stop_reached_first_decides_the_reason_and_the_stop_loss_wins_a_shared_minute() -> None:
    early, late = StopReached(D("94"), SL, T0 + MINUTE_MS), StopReached(D("96"), D("97"), T0 + 2 * MINUTE_MS)
    assert first_stop(early, late) == (CloseReason.STOP_LOSS, early)
    assert first_stop(late, early) == (CloseReason.TRAILING_STOP, early)
    assert first_stop(early, early) == (CloseReason.STOP_LOSS, early)  # their order within one minute is unknown
    assert first_stop(None, late) == (CloseReason.TRAILING_STOP, late)
    assert first_stop(late, None) == (CloseReason.STOP_LOSS, late)
    assert first_stop(None, None) is None


def test_the_note_of_a_late_close_says_what_the_candles_proved_and_when() -> None:
    note = StopReached(D("94.5"), SL, T0 + 3 * MINUTE_MS).note(CloseReason.STOP_LOSS)
    assert note == (
        "late close (stop_loss): the exchange's 1-minute candle of 2026-01-01 00:03 UTC printed 94.5, at or below the "
        "level 95, while the trader was down"
    )


rows = st.lists(st.tuples(prices, prices, prices), max_size=30)


def candles_of(rows: list[tuple[Decimal, Decimal, Decimal]]) -> list[Candle]:
    return [
        Candle(REF, 1, T0 + n * MINUTE_MS, lo, max(lo, hi), lo, min(max(lo, hi), max(lo, c)), D(1), D(1), 1)
        for n, (lo, hi, c) in enumerate(rows)
    ]


@given(rows, prices, st.integers(0, 30), st.integers(0, 30), st.randoms(use_true_random=False))
def test_only_what_the_candles_show_fires_whatever_their_order(
    rows: list[tuple[Decimal, Decimal, Decimal]], stop: Decimal, entry: int, seen: int, rnd: random.Random
) -> None:
    candles = candles_of(rows)
    entry_ms, since_ms = T0 + entry * MINUTE_MS, T0 + max(entry, seen) * MINUTE_MS
    found = stop_through(candles, stop, entry_ms=entry_ms, since_ms=since_ms)
    shuffled = list(candles)
    rnd.shuffle(shuffled)
    assert stop_through(shuffled, stop, entry_ms=entry_ms, since_ms=since_ms) == found
    counted = [c for c in candles if c.start_ms >= entry_ms]
    if found is None:
        assert all(c.low > stop for c in counted if c.start_ms > since_ms)
        assert not counted or counted[-1].close > stop
    else:  # a price at or below the stop, printed in a counted minute
        assert found.price <= stop == found.level and found.minute_ms >= entry_ms
        assert any(found.price in (c.low, c.close) and c.start_ms == found.minute_ms for c in counted)
    if not any(c.low <= stop for c in counted):
        assert found is None  # nothing at the stop: no close


@given(rows, prices, prices)
def test_a_higher_stop_is_reached_no_later(
    rows: list[tuple[Decimal, Decimal, Decimal]], a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    candles = candles_of(rows)
    at_low = stop_through(candles, low, entry_ms=T0, since_ms=T0)
    at_high = stop_through(candles, high, entry_ms=T0, since_ms=T0)
    if at_low is not None:
        assert at_high is not None and at_high.minute_ms <= at_low.minute_ms
