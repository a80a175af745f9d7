"""CandleBuilder: aligned, contiguous candles from trades and the clock; empty minutes, late and out-of-order trades."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.candles import (
    MINUTE_MS,
    Candle,
    CandleBuilder,
    aggregate,
    bybit_interval,
    candle_from_payload,
    candle_to_payload,
    ccxt_timeframe,
    check_interval,
    fill_gaps,
    open_candle,
)
from tradewind.domain.market import InstrumentRef, PayloadError, TradeTick
from tradewind.domain.values import Category, Side

D = Decimal
REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, ms


def tick(seconds: float, price: str, qty: str = "1", n: int = 0) -> TradeTick:
    return TradeTick(REF, f"t{n}-{seconds}", D(price), D(qty), Side.BUY, (T0 + round(seconds * 1000)) * 1_000_000)


def test_a_minute_of_trades_closes_once_the_clock_passes_its_end() -> None:
    builder = CandleBuilder(REF)
    for seconds, price, qty in ((1, "100", "1"), (20, "105", "2"), (40, "95", "1"), (59.999, "101", "0.5")):
        builder.add(tick(seconds, price, qty))

    assert builder.close_until(T0 + MINUTE_MS - 1) == []
    (candle,) = builder.close_until(T0 + MINUTE_MS)

    assert candle == Candle(REF, 1, T0, D(100), D(105), D(95), D(101), D("4.5"), D("455.5"), 4)
    assert candle.end_ms == T0 + MINUTE_MS
    assert candle.topic() == "md.candle.sim.linear.BTCUSDT.1"


def test_a_minute_without_trades_repeats_the_close_with_zero_volume() -> None:
    builder = CandleBuilder(REF)
    builder.add(tick(10, "100"))
    builder.add(tick(130, "110"))  # minute 2; minute 1 has no trade

    candles = builder.close_until(T0 + 3 * MINUTE_MS)

    assert [(c.start_ms - T0, c.open, c.close, c.volume, c.trades) for c in candles] == [
        (0, D(100), D(100), D(1), 1),
        (MINUTE_MS, D(100), D(100), D(0), 0),
        (2 * MINUTE_MS, D(110), D(110), D(1), 1),
    ]
    later = builder.close_until(T0 + 5 * MINUTE_MS)
    assert [(c.start_ms - T0, c.close, c.volume) for c in later] == [
        (3 * MINUTE_MS, D(110), 0),
        (4 * MINUTE_MS, D(110), 0),
    ]


def test_nothing_is_emitted_before_the_first_trade() -> None:
    builder = CandleBuilder(REF)
    assert builder.close_until(T0 + 10 * MINUTE_MS) == []
    assert builder.next_start_ms is None


def test_a_trade_for_a_closed_candle_is_late_dropped_and_counted() -> None:
    builder = CandleBuilder(REF)
    builder.add(tick(10, "100"))
    (closed,) = builder.close_until(T0 + MINUTE_MS)

    assert builder.add(tick(59, "1000")) is False
    (next_candle,) = builder.close_until(T0 + 2 * MINUTE_MS)

    assert builder.late == 1
    assert closed.high == D(100)
    assert (next_candle.high, next_candle.volume) == (D(100), D(0))  # the late trade changed nothing


def test_out_of_order_trades_inside_a_candle_open_at_the_earliest_and_close_at_the_latest() -> None:
    builder = CandleBuilder(REF)
    for seconds, price in ((30, "103"), (5, "99"), (55, "101"), (20, "104")):
        builder.add(tick(seconds, price))

    (candle,) = builder.close_until(T0 + MINUTE_MS)

    assert (candle.open, candle.high, candle.low, candle.close) == (D(99), D(104), D(99), D(101))


def test_an_earlier_trade_before_anything_closed_still_opens_the_series() -> None:
    builder = CandleBuilder(REF)
    builder.add(tick(125, "110"))
    builder.add(tick(5, "100"))  # arrived second, belongs two minutes earlier: nothing was emitted yet

    candles = builder.close_until(T0 + 3 * MINUTE_MS)

    assert [(c.start_ms - T0, c.close, c.volume) for c in candles] == [
        (0, D(100), D(1)),
        (MINUTE_MS, D(100), D(0)),
        (2 * MINUTE_MS, D(110), D(1)),
    ]
    assert builder.late == 0


def test_seed_continues_after_the_history_and_fills_from_its_close() -> None:
    builder = CandleBuilder(REF)
    builder.add(tick(-30, "90"))  # a trade of the minute the history already has
    builder.seed(Candle(REF, 1, T0 - MINUTE_MS, D(95), D(96), D(94), D(95), D(3), D(285), 3))

    candles = builder.close_until(T0 + 2 * MINUTE_MS)

    assert [(c.start_ms - T0, c.close, c.volume) for c in candles] == [(0, D(95), 0), (MINUTE_MS, D(95), 0)]


def test_a_history_that_ends_before_the_first_trade_is_bridged_by_its_close() -> None:
    builder = CandleBuilder(REF)
    builder.add(tick(130, "110"))  # the trades start in minute 2, the history ends with minute 0
    builder.seed(Candle(REF, 1, T0, D(95), D(96), D(94), D(95), D(3), D(285), 3))
    builder.seed(Candle(REF, 1, T0 - MINUTE_MS, D(90), D(90), D(90), D(90), D(1), D(90), 1))  # older: ignored

    candles = builder.close_until(T0 + 3 * MINUTE_MS)

    assert [(c.start_ms - T0, c.close, c.volume) for c in candles] == [
        (MINUTE_MS, D(95), 0),
        (2 * MINUTE_MS, D(110), 1),
    ]


def test_five_minute_candles_align_to_the_clock() -> None:
    builder = CandleBuilder(REF, 5)
    builder.add(tick(7 * 60 + 3, "100"))  # 00:07:03 falls in the 00:05 candle

    (candle,) = builder.close_until(T0 + 10 * MINUTE_MS)

    assert (candle.start_ms - T0, candle.interval) == (5 * MINUTE_MS, 5)


def test_intervals_are_checked_and_named_as_each_venue_spells_them() -> None:
    with pytest.raises(ValueError, match="interval must be one of 1, 3, 5"):
        check_interval(2)
    with pytest.raises(ValueError, match="interval"):
        CandleBuilder(REF, 7)
    assert [bybit_interval(m) for m in (1, 60, 720, 1440)] == ["1", "60", "720", "D"]
    assert [ccxt_timeframe(m) for m in (1, 15, 60, 240, 1440)] == ["1m", "15m", "1h", "4h", "1d"]


def test_fill_gaps_repeats_the_close_before_each_missing_period() -> None:
    a = Candle(REF, 1, T0, D(1), D(2), D(1), D(2), D(1), D(2), 1)
    b = Candle(REF, 1, T0 + 3 * MINUTE_MS, D(3), D(3), D(3), D(3), D(1), D(3), 1)

    filled = fill_gaps([a, b])

    assert [(c.start_ms - T0, c.close, c.volume) for c in filled] == [
        (0, D(2), 1), (MINUTE_MS, D(2), 0), (2 * MINUTE_MS, D(2), 0), (3 * MINUTE_MS, D(3), 1)
    ]  # fmt: skip


def test_the_payload_round_trip_is_exact_and_an_inconsistent_candle_is_refused() -> None:
    candle = Candle(REF, 5, T0, D("100.1"), D("100.5"), D("99.9"), D("100.2"), D("0.003"), D("300.6"), 3)
    assert candle_from_payload(candle_to_payload(candle)) == candle

    bad = {**candle_to_payload(candle), "low": "101"}
    with pytest.raises(PayloadError, match="prices out of order"):
        candle_from_payload(bad)
    with pytest.raises(PayloadError, match="not aligned"):
        candle_from_payload({**candle_to_payload(candle), "start_ms": T0 + 1})


# --- invariants ---------------------------------------------------------------------------------------------

trades_st = st.lists(
    st.tuples(
        st.integers(0, 30 * MINUTE_MS - 1),  # ms after T0
        st.decimals(D("0.1"), D("1000"), places=1),
        st.decimals(D("0.001"), D("10"), places=3),
    ),
    min_size=1,
    max_size=80,
)


def _ticks(raw: list[tuple[int, Decimal, Decimal]]) -> list[TradeTick]:
    return [TradeTick(REF, f"t{i}", p, q, Side.SELL, (T0 + ms) * 1_000_000) for i, (ms, p, q) in enumerate(raw)]


def _build(ticks: list[TradeTick], interval: int = 1) -> list[Candle]:
    builder = CandleBuilder(REF, interval)
    for t in ticks:
        builder.add(t)
    return builder.close_until(T0 + 31 * MINUTE_MS)


@given(trades_st)
def test_volume_is_conserved_and_every_candle_is_consistent_contiguous_and_aligned(
    raw: list[tuple[int, Decimal, Decimal]],
) -> None:
    ticks = _ticks(raw)
    candles = _build(ticks)

    assert sum((c.volume for c in candles), D(0)) == sum((t.qty for t in ticks), D(0))
    assert sum(c.trades for c in candles) == len(ticks)
    for c in candles:
        assert c.check() is c  # low <= open, close <= high; aligned
    assert all(b.start_ms == a.end_ms for a, b in itertools.pairwise(candles))
    assert candles[0].start_ms == min(t.ts_ns // 1_000_000 for t in ticks) // MINUTE_MS * MINUTE_MS


@given(trades_st, st.randoms(use_true_random=False))
def test_the_candles_do_not_depend_on_the_order_trades_arrive_in(
    raw: list[tuple[int, Decimal, Decimal]], rng: random.Random
) -> None:
    distinct = list({ms: (ms, p, q) for ms, p, q in raw}.values())  # ties are broken by arrival: keep none
    ticks = _ticks(distinct)
    shuffled = rng.sample(ticks, len(ticks))

    assert _build(shuffled) == _build(ticks)


@given(trades_st, st.sampled_from([3, 5, 15, 30]))
def test_aggregated_one_minute_candles_equal_candles_built_directly(
    raw: list[tuple[int, Decimal, Decimal]], minutes: int
) -> None:
    ticks = _ticks(raw)
    builder = CandleBuilder(REF, minutes)
    for t in ticks:
        builder.add(t)
    direct = builder.close_until(T0 + 30 * MINUTE_MS)

    merged = [c for c in aggregate(_build(ticks), minutes) if c.end_ms <= T0 + 30 * MINUTE_MS]

    assert merged == direct


@given(trades_st, st.integers(0, 30 * MINUTE_MS - 1), st.sampled_from([1, 3, 5, 15, 30]))
def test_the_open_candle_from_closed_minutes_and_this_minutes_trades_is_the_candle_built_so_far(
    raw: list[tuple[int, Decimal, Decimal]], now: int, minutes: int
) -> None:
    ticks = [t for t in _ticks(raw) if t.ts_ns // 1_000_000 <= T0 + now]  # what has traded by now
    now_ms = T0 + now
    period, minute = now_ms - now_ms % (minutes * MINUTE_MS), now_ms - now_ms % MINUTE_MS
    builder = CandleBuilder(REF, minutes)
    for t in ticks:
        builder.add(t)
    so_far = [c for c in builder.close_until(period + minutes * MINUTE_MS) if c.start_ms == period and c.trades]

    closed_minutes = _build([t for t in ticks if t.ts_ns // 1_000_000 < minute])  # what the recorder has stored
    found = open_candle(REF, minutes, now_ms, closed_minutes, ticks)  # trades before this minute are not counted

    assert [found] == so_far if so_far else found is None
