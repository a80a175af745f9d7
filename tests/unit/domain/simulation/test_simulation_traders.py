"""Each trader type's decisions, from hand-made market views."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.simulation.market_maker import MarketMaker, MarketMakerParams
from tradewind.domain.simulation.stats import hill_tail_index
from tradewind.domain.simulation.traders import (
    MeanReversionParams,
    MeanReversionTrader,
    MetaOrderParams,
    MetaOrderTrader,
    MomentumParams,
    MomentumTrader,
    NoiseParams,
    NoiseTrader,
)
from tradewind.domain.simulation.view import Action, Amend, Cancel, LotSizer, MarketView, OrderIds, OwnOrder, Submit
from tradewind.domain.values import OrderType, Side, TimeInForce

from .simulation_support import PERP, SPOT, instrument

NS = 1_000_000_000
FAIR = 650_000.0  # 65 000.0 USDT in 0.1 ticks


def view(
    now_s: float,
    *,
    bid: int | None = 649_999,
    ask: int | None = 650_001,
    fair: float = FAIR,
    orders: dict[str, OwnOrder] | None = None,
    position: int = 0,
) -> MarketView:
    return MarketView(round(now_s * NS), bid, ask, None, fair, orders or {}, position)


def live(actions: Sequence[Action], orders: dict[str, OwnOrder] | None = None) -> dict[str, OwnOrder]:
    """Apply actions to a set of live orders as an engine without other traders would."""
    book = dict(orders or {})
    for a in actions:
        if isinstance(a, Submit):
            assert a.price is not None
            book[a.order_id] = OwnOrder(a.order_id, a.side, a.price, a.lots)
        elif isinstance(a, Amend):
            o = book[a.order_id]
            book[a.order_id] = OwnOrder(o.order_id, o.side, a.price or o.price, a.lots or o.leaves)
        else:
            del book[a.order_id]
    return book


def maker(**params: float) -> MarketMaker:
    p = MarketMakerParams(value_noise_ticks=0.0, **params)  # type: ignore[arg-type]
    return MarketMaker("mm", p, LotSizer(instrument(SPOT)), random.Random(1))


def alone(
    now_s: float, *, fair: float = FAIR, orders: dict[str, OwnOrder] | None = None, position: int = 0
) -> MarketView:
    """The view of a maker alone in the book: the best prices are its own quotes."""
    book = orders or {}
    bid = max((o.price for o in book.values() if o.side is Side.BUY), default=None)
    ask = min((o.price for o in book.values() if o.side is Side.SELL), default=None)
    return MarketView(round(now_s * NS), bid, ask, None, fair, book, position)


def quote(mm: MarketMaker, v: MarketView) -> list[Action]:
    """Both phases of a step for a maker alone in the book: decide sees what withdraw left."""
    withdrawn = mm.withdraw(v)
    after = live(withdrawn, dict(v.orders))
    return [*withdrawn, *mm.decide(alone(v.now_ns / NS, fair=v.fair_value, orders=after, position=v.position))]


def test_market_maker_quotes_a_ladder_on_both_sides_around_the_fair_value() -> None:
    mm = maker(half_spread_ticks=2.0, levels=4, level_spacing_ticks=10)
    book = live(quote(mm, alone(0)))
    bids = sorted((o.price for o in book.values() if o.side is Side.BUY), reverse=True)
    asks = sorted(o.price for o in book.values() if o.side is Side.SELL)
    assert len(bids) == len(asks) == 4
    assert bids[0] == FAIR - 2 and asks[0] == FAIR + 2
    assert {a - b for a, b in itertools.pairwise(bids[1:])} == {10}  # deeper levels sit on a grid
    assert {b - a for a, b in itertools.pairwise(asks[1:])} == {10}
    assert all(o.leaves > 0 for o in book.values())


def test_market_maker_moves_only_the_retreating_side_before_others_act() -> None:
    mm = maker(half_spread_ticks=2.0, levels=3, level_spacing_ticks=10)
    book = live(quote(mm, alone(0)))
    up = alone(1, fair=FAIR + 25, orders=book)
    withdrawn = mm.withdraw(up)
    moved = {a.order_id for a in withdrawn if not isinstance(a, Submit)}
    assert moved and all(book[oid].side is Side.SELL for oid in moved)
    book = live(withdrawn, book)
    book = live(mm.decide(alone(1, fair=FAIR + 25, orders=book)), book)
    best_bid = max(o.price for o in book.values() if o.side is Side.BUY)
    best_ask = min(o.price for o in book.values() if o.side is Side.SELL)
    assert (best_bid, best_ask) == (FAIR + 23, FAIR + 27)


def test_market_maker_reuses_its_orders_instead_of_cancelling_them() -> None:
    mm = maker(levels=5)
    book = live(quote(mm, alone(0)))
    actions = quote(mm, alone(1, fair=FAIR + 3, orders=book))
    assert not any(isinstance(a, Submit | Cancel) for a in actions)
    assert len(live(actions, book)) == len(book)


def test_market_maker_full_of_inventory_stops_buying_and_leans_its_quotes() -> None:
    mm = maker(max_inventory_notional=100_000.0, skew_ticks=15.0)
    long_lots = 2_000_000  # 2 BTC, about 130 000 USDT
    book = live(quote(mm, alone(0, position=long_lots)))
    assert all(o.side is Side.SELL for o in book.values())
    assert min(o.price for o in book.values()) < FAIR  # it offers below fair value to unwind


def test_noise_trader_cancels_its_orders_when_they_expire() -> None:
    trader = NoiseTrader(
        "nz",
        NoiseParams(market_orders_per_minute=0.0, limit_orders_per_minute=600.0, limit_lifetime_s=1.0),
        LotSizer(instrument(SPOT)),
        random.Random(2),
    )
    trader.decide(view(0))
    placed = trader.decide(view(1))
    book = live(placed)
    assert book, "ten orders a second for a second should place some"
    later = trader.decide(view(60, orders=book))
    assert {a.order_id for a in later if isinstance(a, Cancel)} == set(book)


def test_noise_trader_at_its_position_limit_only_sells() -> None:
    trader = NoiseTrader(
        "nz",
        NoiseParams(market_orders_per_minute=600.0, limit_orders_per_minute=600.0, max_position_notional=1_000.0),
        LotSizer(instrument(PERP)),
        random.Random(3),
    )
    trader.decide(view(0))
    actions = trader.decide(view(10, position=1_000))  # 1 BTC long
    submits = [a for a in actions if isinstance(a, Submit)]
    assert len(submits) > 50
    assert all(a.side is Side.SELL for a in submits)


def test_noise_order_ids_are_unique_and_named_after_the_trader() -> None:
    trader = NoiseTrader(
        "sw-noise1", NoiseParams(market_orders_per_minute=600.0), LotSizer(instrument(SPOT)), random.Random(4)
    )
    ids = [a.order_id for t in range(1, 30) for a in trader.decide(view(t)) if isinstance(a, Submit)]
    assert len(ids) == len(set(ids)) > 100
    assert all(i.startswith("sw-noise1-") for i in ids)


def rising(
    trader: MomentumTrader | MeanReversionTrader, ticks_per_s: float, seconds: int, position: int = 0
) -> list[Action]:
    actions: list[Action] = []
    for t in range(seconds):
        mid = round(FAIR + ticks_per_s * t)
        actions.extend(trader.decide(view(t, bid=mid - 1, ask=mid + 1, position=position)))
    return actions


def test_momentum_trader_buys_a_rising_market_and_sells_a_falling_one() -> None:
    params = MomentumParams(trades_per_minute=600.0)
    up = rising(MomentumTrader("mo", params, LotSizer(instrument(PERP)), random.Random(5)), 5.0, 120)
    down = rising(MomentumTrader("mo", params, LotSizer(instrument(PERP)), random.Random(5)), -5.0, 120)
    assert up and all(isinstance(a, Submit) and a.side is Side.BUY and a.order_type is OrderType.MARKET for a in up)
    assert down and all(isinstance(a, Submit) and a.side is Side.SELL for a in down)


def test_momentum_trader_at_its_position_limit_stops_buying() -> None:
    params = MomentumParams(trades_per_minute=600.0, max_position_notional=65_000.0)
    trader = MomentumTrader("mo", params, LotSizer(instrument(PERP)), random.Random(6))
    actions = rising(trader, 5.0, 120, position=1_000)  # already long 1 BTC, the limit at 65 000 USDT
    assert not any(isinstance(a, Submit) and a.side is Side.BUY for a in actions)


def test_mean_reversion_trader_sells_a_spike_with_a_capped_ioc_order() -> None:
    params = MeanReversionParams(trades_per_minute=600.0, entry_bp=10.0, slippage_ticks=7)
    trader = MeanReversionTrader("mr", params, LotSizer(instrument(PERP)), random.Random(7))
    for t in range(600):
        trader.decide(view(t))
    spike = round(FAIR * 1.003)
    [action] = trader.decide(view(601, bid=spike - 1, ask=spike + 1))
    assert isinstance(action, Submit) and action.lots > 0
    assert action == Submit("mr-1", Side.SELL, OrderType.LIMIT, action.lots, spike - 8, TimeInForce.IOC)


def test_order_ids_follow_name_and_counter() -> None:
    ids = OrderIds("sw-mm2")
    assert [ids.next(), ids.next()] == ["sw-mm2-1", "sw-mm2-2"]


@given(notional=st.floats(min_value=0.0, max_value=1e7), price=st.integers(min_value=10_000, max_value=2_000_000))
def test_sizer_gives_lots_that_pass_the_instrument_filters(notional: float, price: int) -> None:
    for key in (SPOT, PERP):
        inst = instrument(key)
        lots = LotSizer(inst).lots(notional, price)
        qty = inst.lots_to_qty(lots)
        inst.check_order(qty, inst.ticks_to_price(price))
        assert qty <= inst.max_qty


@pytest.mark.parametrize(
    "build",
    [
        lambda: MarketMakerParams(half_spread_ticks=0.1),
        lambda: MarketMakerParams(levels=0),
        lambda: MarketMakerParams(requote_probability=0.0),
        lambda: NoiseParams(median_notional=0.0),
        lambda: MomentumParams(entry_bp=1.0, exit_bp=2.0),
        lambda: MeanReversionParams(slippage_ticks=-1),
    ],
)
def test_bad_trader_parameters_are_refused(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_sizer_uses_exact_filters_of_the_instrument() -> None:
    inst = instrument(SPOT)
    assert LotSizer(inst).lots(0.0, 650_000) * inst.qty_step >= inst.min_qty
    assert inst.min_notional == Decimal(5)


def meta_trader(**params: float) -> MetaOrderTrader:
    return MetaOrderTrader("meta", MetaOrderParams(**params), LotSizer(instrument(PERP)), random.Random(4))  # type: ignore[arg-type]


def test_meta_order_trader_works_a_parent_as_many_children_on_one_side() -> None:
    trader = meta_trader(parents_per_hour=1e6, min_parent_notional=100_000.0, max_parent_notional=100_000.0)
    trader.decide(view(0))
    children: list[Submit] = []
    for second in range(1, 600):
        for a in trader.decide(view(second)):
            assert isinstance(a, Submit) and a.order_type is OrderType.MARKET
            children.append(a)
        if trader.working is None:
            break
    assert len(children) > 10  # split, not one block
    assert len({a.side for a in children}) == 1
    notional = sum(LotSizer(instrument(PERP)).notional(a.lots, FAIR) for a in children)
    assert notional == pytest.approx(100_000.0, rel=0.1)


def test_meta_order_parent_sizes_have_the_configured_pareto_tail() -> None:
    rng_trader = meta_trader(parents_per_hour=1e9, children_per_minute=0.0, max_parent_notional=1e12)
    sizes = []
    for i in range(4_000):
        trader = MetaOrderTrader("m", rng_trader.params, LotSizer(instrument(PERP)), random.Random(i))
        trader.decide(view(0))
        trader.decide(view(1))
        working = trader.working
        assert working is not None
        sizes.append(working[1])
    assert hill_tail_index(sizes, 0.1) == pytest.approx(1.5, rel=0.15)


def test_noise_trader_sends_small_retail_prints() -> None:
    params = NoiseParams(market_orders_per_minute=6_000.0, limit_orders_per_minute=0.0, small_print_share=0.5)
    trader = NoiseTrader("nz", params, LotSizer(instrument(PERP)), random.Random(5))
    trader.decide(view(0))
    submits = [a for a in trader.decide(view(60)) if isinstance(a, Submit)]
    notionals = np.array([LotSizer(instrument(PERP)).notional(a.lots, FAIR) for a in submits])
    assert np.mean(notionals <= 500.0) > 0.4  # the retail prints
    assert notionals.max() > 20 * params.median_notional  # and a heavy tail above the median


def test_market_maker_joins_one_tick_behind_the_opposite_best_instead_of_crossing_it() -> None:
    mm = maker(half_spread_ticks=2.0, levels=2, refill_fraction=0.0)
    book = live(quote(mm, alone(0)))
    other_ask = int(FAIR) + 1  # another maker's ask, below where this maker would bid after a move up
    up = MarketView(NS, None, other_ask, None, FAIR + 10, book, 0)
    actions = [*mm.withdraw(up), *mm.decide(up)]
    bids = [o.price for o in live(actions, book).values() if o.side is Side.BUY]
    assert max(bids) == other_ask - 1


def test_market_maker_takes_a_quote_that_is_stale_by_more_than_its_edge() -> None:
    mm = maker(half_spread_ticks=2.0, levels=2, refill_fraction=0.0, take_edge_ticks=20.0)
    book = live(quote(mm, alone(0)))
    stale_ask = int(FAIR) + 1
    up = MarketView(NS, None, stale_ask, None, FAIR + 50, book, 0)
    actions = [*mm.withdraw(up), *mm.decide(up)]
    bids = [o.price for o in live(actions, book).values() if o.side is Side.BUY]
    assert max(bids) == FAIR + 48  # crosses the stale ask: a market maker picks it off


def test_market_maker_refills_a_wide_spread_at_one_tick_when_calm() -> None:
    mm = maker(half_spread_ticks=2.0, levels=2, refill_fraction=0.5)
    book = live(quote(mm, alone(0)))
    # Others' best bid at -6 and best ask at +2; this maker's value is at +2.5: a bid at +1 is below it.
    wide = MarketView(NS, int(FAIR) - 6, int(FAIR) + 2, None, FAIR + 2.5, book, 0)
    actions = [*mm.withdraw(wide), *mm.decide(wide)]
    refills = [a for a in actions if isinstance(a, Submit) and a.price == int(FAIR) + 1]
    assert len(refills) == 1 and refills[0].side is Side.BUY
    book = live(actions, book)
    # Value back at the middle of a wide spread: joining at one tick would trade through it, so no refill.
    wide = MarketView(2 * NS, int(FAIR) - 6, int(FAIR) + 6, None, FAIR, book, 0)
    actions = [*mm.withdraw(wide), *mm.decide(wide)]
    assert Cancel(refills[0].order_id) in actions  # the old refill now sits above value: withdrawn
    assert not [a for a in actions if isinstance(a, Submit) and a.price in (int(FAIR) - 5, int(FAIR) + 5)]
    # A 10 bp move is not calm: no refill even where one would fit.
    stormy = MarketView(3 * NS, int(FAIR * 1.001) - 6, int(FAIR * 1.001) + 2, None, FAIR * 1.001 + 2.5, book, 0)
    actions = [*mm.withdraw(stormy), *mm.decide(stormy)]
    assert not [a for a in actions if isinstance(a, Submit) and a.price == int(FAIR * 1.001) + 1]
