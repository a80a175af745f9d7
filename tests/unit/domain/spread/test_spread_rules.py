"""The spread rules on crafted books: groups, opening and closing clips, hysteresis, anti-churn, exposure, PnL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.instruments import default_instruments
from tradewind.domain.market import InstrumentRef
from tradewind.domain.spread.churn import ChurnGuard, ChurnRules
from tradewind.domain.spread.exposure import Exposure, ExposureLimits, LegChange
from tradewind.domain.spread.groups import MatchingGroups, Pair
from tradewind.domain.spread.opportunity import Fees, Thresholds, closing_clips, common_qty, opening_clips
from tradewind.domain.spread.position import (
    SpreadState,
    SpreadTransitionError,
    add_entry,
    add_exit,
    add_funding,
    opening,
    qty_at,
    with_state,
)
from tradewind.domain.values import Category

INSTRUMENTS = {(i.category, i.symbol): i for i in default_instruments()}
SPOT_I = INSTRUMENTS[(Category.SPOT, "BTCUSDT")]
PERP_I = INSTRUMENTS[(Category.LINEAR, "BTCUSDT")]
SPOT = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT")
PERP = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
NO_FEES = Fees(Decimal(0), Decimal(0))
FEES = Fees(Decimal(10), Decimal("5.5"))


def test_a_group_pairs_every_member_both_ways_and_forgets_a_removed_one() -> None:
    groups = MatchingGroups()
    other = InstrumentRef("bybit", Category.LINEAR, "BTCUSDT", "BTCUSDT")
    for ref in (SPOT, PERP, other, InstrumentRef("sim", Category.SPOT, "ETHUSDT", "ETHUSDT")):
        groups.add(ref)
    assert groups.add(SPOT) is False  # already a member
    assert groups.add(InstrumentRef("sim", Category.SPOT, "XRPUSDT")) is False  # no matching key: no group
    pairs = groups.pairs("BTCUSDT")
    assert len(pairs) == 6 and Pair(SPOT, PERP) in pairs and Pair(PERP, SPOT) in pairs
    assert groups.pairs("ETHUSDT") == []  # a group of one has no pair
    assert groups.remove(other)
    assert {p.key for p in groups.pairs("BTCUSDT")} == {Pair(SPOT, PERP).key, Pair(PERP, SPOT).key}
    assert groups.remove(PERP) and groups.pairs("BTCUSDT") == []


def test_opens_the_top_quantity_when_the_edge_covers_fees_and_threshold() -> None:
    # bid(short) 100 120 - ask(long) 100 000 = 20 bps; round-trip fees 2 x 15.5 = 31 bps
    asks, bids = ((Decimal(100_000), Decimal("0.5")),), ((Decimal(100_320), Decimal("0.3")),)
    clips = opening_clips(asks, bids, FEES, Thresholds(Decimal(1)), long=SPOT_I, short=PERP_I, max_qty=Decimal(10))
    assert [(c.qty, c.long_price, c.short_price) for c in clips] == [
        (Decimal("0.3"), Decimal(100_000), Decimal(100_320))
    ]
    assert clips[0].edge_bps == Decimal(32) - Decimal(31)
    assert (
        opening_clips(
            asks,
            ((Decimal(100_310), Decimal(1)),),
            FEES,
            Thresholds(Decimal(1)),
            long=SPOT_I,
            short=PERP_I,
            max_qty=Decimal(10),
        )
        == []
    )


def test_scales_in_over_levels_while_each_level_pair_stays_profitable() -> None:
    asks = ((Decimal(100_000), Decimal("0.2")), (Decimal(100_010), Decimal("0.5")), (Decimal(100_090), Decimal(5)))
    bids = ((Decimal(100_100), Decimal("0.4")), (Decimal(100_080), Decimal(1)))
    clips = opening_clips(asks, bids, NO_FEES, Thresholds(Decimal(5)), long=SPOT_I, short=PERP_I, max_qty=Decimal(10))
    # 10 bps, then 9 bps (ask 100 010 vs bid 100 100), then 7 bps (100 010 vs 100 080); 100 090 vs 100 080 is negative
    assert [(c.qty, c.long_price, c.short_price) for c in clips] == [
        (Decimal("0.2"), Decimal(100_000), Decimal(100_100)),
        (Decimal("0.2"), Decimal(100_010), Decimal(100_100)),
        (Decimal("0.3"), Decimal(100_010), Decimal(100_080)),
    ]
    capped = opening_clips(
        asks, bids, NO_FEES, Thresholds(Decimal(5)), long=SPOT_I, short=PERP_I, max_qty=Decimal("0.25")
    )
    assert sum(c.qty for c in capped) == Decimal("0.25")


def test_quantity_lands_on_both_lot_grids_and_respects_minimums() -> None:
    assert common_qty(Decimal("0.12345678"), SPOT_I, PERP_I) == Decimal("0.123")  # perp step 0.001 is the coarser
    assert common_qty(Decimal("0.0009"), SPOT_I, PERP_I) is None  # under the perp's minimum 0.001
    assert common_qty(Decimal(5000), SPOT_I, PERP_I) == SPOT_I.max_qty  # spot caps at 83


@given(
    st.lists(st.tuples(st.integers(99_900, 100_100), st.integers(1, 3000)), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(99_900, 100_300), st.integers(1, 3000)), min_size=1, max_size=6),
)
def test_clips_never_exceed_the_books_and_stay_on_the_grid(
    asks_raw: list[tuple[int, int]], bids_raw: list[tuple[int, int]]
) -> None:
    asks = tuple(sorted((Decimal(p), Decimal(q) / 1000) for p, q in asks_raw))
    bids = tuple(sorted(((Decimal(p), Decimal(q) / 1000) for p, q in bids_raw), reverse=True))
    clips = opening_clips(asks, bids, NO_FEES, Thresholds(Decimal(1)), long=SPOT_I, short=PERP_I, max_qty=Decimal(100))
    total = sum((c.qty for c in clips), Decimal(0))
    assert total <= min(sum(q for _, q in asks), sum(q for _, q in bids))
    for clip in clips:
        assert PERP_I.floor_qty(clip.qty) == clip.qty and clip.qty >= PERP_I.min_qty
        assert clip.edge_bps >= 1


def _open_spread(qty: str = "0.5", long: int = 100_000, short: int = 100_300):
    spread = opening("s-1", Pair(SPOT, PERP), 0)
    return add_entry(spread, Decimal(qty), Decimal(long), Decimal(short), fee=Decimal(0), now_ns=0)


def test_closes_partly_while_profitable_then_in_full() -> None:
    spread = _open_spread()
    # exit: sell the spot at its bid, buy the perp back at its ask; entry spread was 30 bps
    bids, asks = ((Decimal(100_100), Decimal("0.2")), (Decimal(100_000), Decimal(1))), ((Decimal(100_110), Decimal(1)),)
    clips = closing_clips(
        bids,
        asks,
        NO_FEES,
        Thresholds(Decimal(5), Decimal(10)),
        open_qty=spread.qty,
        long_entry=spread.long_entry,
        short_entry=spread.short_entry,
        long=SPOT_I,
        short=PERP_I,
    )
    # first level: 30 - 1 = 29 bps; second (bid 100 000): 30 - 11 = 19 bps, both at least 10
    assert [(c.qty, c.long_price) for c in clips] == [
        (Decimal("0.2"), Decimal(100_100)),
        (Decimal("0.3"), Decimal(100_000)),
    ]
    strict = closing_clips(
        bids,
        asks,
        NO_FEES,
        Thresholds(Decimal(5), Decimal(20)),
        open_qty=spread.qty,
        long_entry=spread.long_entry,
        short_entry=spread.short_entry,
        long=SPOT_I,
        short=PERP_I,
    )
    assert [c.qty for c in strict] == [Decimal("0.2")]  # partial close: the second level is not worth it
    partial = add_exit(spread, Decimal("0.2"), Decimal(100_100), Decimal(100_110), fee=Decimal(0), now_ns=1)
    assert partial.state is SpreadState.OPEN and partial.qty == Decimal("0.3")
    assert partial.realised == Decimal("0.2") * (Decimal(100) + Decimal(190))
    full = add_exit(partial, Decimal("0.3"), Decimal(100_000), Decimal(100_110), fee=Decimal(0), now_ns=2)
    assert full.state is SpreadState.CLOSED and full.closed_ns == 2
    assert full.realised == Decimal("0.2") * 290 + Decimal("0.3") * 190


def test_hysteresis_keeps_a_spread_open_that_only_reached_the_open_threshold() -> None:
    spread = _open_spread(long=100_000, short=100_100)  # opened at 10 bps
    # the market stays where it opened (exit spread = the entry spread): closing would lose the fees
    clips = closing_clips(
        ((Decimal(100_000), Decimal(1)),),
        ((Decimal(100_100), Decimal(1)),),
        FEES,
        Thresholds(Decimal(5), Decimal(1)),
        open_qty=spread.qty,
        long_entry=spread.long_entry,
        short_entry=spread.short_entry,
        long=SPOT_I,
        short=PERP_I,
    )
    assert clips == []
    target = closing_clips(
        ((Decimal(100_000), Decimal(1)),),
        ((Decimal(100_100), Decimal(1)),),
        FEES,
        Thresholds(Decimal(5), Decimal(1), Decimal(10)),
        open_qty=spread.qty,
        long_entry=spread.long_entry,
        short_entry=spread.short_entry,
        long=SPOT_I,
        short=PERP_I,
    )
    assert [c.qty for c in target] == [Decimal("0.5")]  # a configured exit target closes whatever the profit


def test_round_trip_cap_and_minimum_hold_on_an_injected_clock() -> None:
    guard = ChurnGuard(ChurnRules(min_hold_ns=5, max_round_trips=2, window_ns=100))
    for now in (0, 10):
        assert guard.may_open("p", now)
        guard.record_open("p", now)
    assert not guard.may_open("p", 50) and guard.may_open("other", 50)
    assert guard.may_open("p", 100)  # the first opening left the window
    assert not guard.may_close(opened_ns=10, now_ns=14) and guard.may_close(opened_ns=10, now_ns=15)


def test_exposure_refuses_growth_beyond_either_limit_but_never_a_reduction() -> None:
    exposure = Exposure()
    limits = ExposureLimits(per_instrument=Decimal(1000), total=Decimal(1500))
    spot, perp = ("sim", Category.SPOT, "BTCUSDT"), ("sim", Category.LINEAR, "BTCUSDT")
    opening_legs = [
        LegChange(spot, Decimal("0.009"), Decimal(100_000)),
        LegChange(perp, Decimal("-0.009"), Decimal(100_000)),
    ]
    assert exposure.refusal(opening_legs, limits) == "total exposure would be 1800.000, above max_total_exposure 1500"
    one = [LegChange(spot, Decimal("0.007"), Decimal(100_000)), LegChange(perp, Decimal("-0.007"), Decimal(100_000))]
    assert exposure.refusal(one, limits) is None
    exposure.apply(one)
    assert exposure.total() == Decimal(1400)
    more = [LegChange(spot, Decimal("0.004"), Decimal(100_000))]
    assert "above max_risk_open_position 1000" in (exposure.refusal(more, limits) or "")
    closing = [
        LegChange(spot, Decimal("-0.007"), Decimal(100_000)),
        LegChange(perp, Decimal("0.007"), Decimal(100_000)),
    ]
    assert exposure.refusal(closing, limits) is None
    exposure.apply(closing)
    assert exposure.total() == 0 and exposure.snapshot() == {}


def test_pnl_counts_fees_and_funding_and_the_states_are_guarded() -> None:
    spread = add_entry(
        opening("s", Pair(SPOT, PERP), 0), Decimal(1), Decimal(100), Decimal(101), fee=Decimal("0.2"), now_ns=0
    )
    assert spread.unrealised(Decimal(100), Decimal(100)) == Decimal(1)
    spread = add_funding(spread, Decimal("0.05"), 1)
    closed = add_exit(spread, Decimal(1), Decimal(100), Decimal(100), fee=Decimal("0.2"), now_ns=2)
    assert closed.realised == Decimal(1) and closed.net_realised == Decimal(1) - Decimal("0.4") + Decimal("0.05")
    with pytest.raises(SpreadTransitionError):
        with_state(closed, SpreadState.OPEN, 3)
    with pytest.raises(ValueError, match="exit needs a quantity"):
        add_exit(spread, Decimal(2), Decimal(100), Decimal(100), fee=Decimal(0), now_ns=2)


def test_the_quantity_at_a_time_is_the_one_after_the_last_trade_at_or_before_it() -> None:
    history = [(10, Decimal("0.01")), (20, Decimal("0.03")), (30, Decimal(0))]
    assert [qty_at(history, t) for t in (9, 10, 19, 20, 29, 30, 99)] == [
        0, Decimal("0.01"), Decimal("0.01"), Decimal("0.03"), Decimal("0.03"), 0, 0,
    ]  # fmt: skip
    assert qty_at([], 10) == 0
