"""Risk strategies of trade objects: levels on the tick grid, both sides, and the trailing stop's invariant."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.instruments import Instrument
from tradewind.domain.trading.risk import StopLoss, TakeProfit, TrailingStop, first_exit
from tradewind.domain.trading.trades import Trade, TradeStatus, trade_client_order_id
from tradewind.domain.values import Category, Side

D = Decimal
BTC = Instrument("BTCUSDT", Category.SPOT, "BTC", "USDT", D("0.1"), D("0.00001"), D("0.00001"), D(100), D(5))


def trade(side: Side = Side.BUY, entry: str = "100000") -> Trade:
    return Trade(1, "k", 0, "sim", Category.SPOT, "BTCUSDT", side, D("0.001"), TradeStatus.PENDING).opened(
        D("0.001"), D(entry), D(0)
    )


def test_a_trailing_stop_follows_the_best_price_and_closes_on_the_retreat() -> None:
    stop = TrailingStop(D("2.8"))
    t = trade()
    assert stop.level(t, BTC) == D("97200")
    t = t.followed(D("110000"))
    assert stop.level(t, BTC) == D("106920")
    assert stop.exit(t, D("106920.1"), BTC) is None
    assert stop.exit(t, D("106920"), BTC) == "trailing_stop"
    assert t.followed(D("105000")).best_price == D("110000")  # a retreat never moves it back


def test_a_short_trails_the_lowest_price_and_closes_on_the_rise() -> None:
    stop = TrailingStop(D("2"))
    t = trade(Side.SELL).followed(D("90000"))
    assert t.best_price == D("90000") and stop.level(t, BTC) == D("91800")
    assert stop.exit(t, D("91799.9"), BTC) is None and stop.exit(t, D("91800"), BTC) == "trailing_stop"


def test_stop_loss_and_take_profit_are_from_the_entry_on_the_tick_grid() -> None:
    t = trade(entry="100000.3")
    assert StopLoss(D("2")).level(t, BTC) == D("98000.3")
    assert TakeProfit(D("5")).level(t, BTC) == D("105000.3")
    assert StopLoss(D("2")).exit(t.followed(D("120000")), D("98000.3"), BTC) == "stop_loss"
    assert TakeProfit(D("5")).exit(t, D("105000.2"), BTC) is None
    assert TakeProfit(D("5")).exit(t, D("105000.3"), BTC) == "take_profit"
    short = trade(Side.SELL)
    assert (StopLoss(D("2")).level(short, BTC), TakeProfit(D("5")).level(short, BTC)) == (D("102000"), D("95000"))


def test_the_first_strategy_that_closes_names_the_reason() -> None:
    strategies = [TakeProfit(D("5")), StopLoss(D("2")), TrailingStop(D("1"))]
    assert first_exit(strategies, trade(), D("98000"), BTC) == "stop_loss"
    assert first_exit(strategies, trade(), D("99500"), BTC) is None


@pytest.mark.parametrize("make", [TrailingStop, StopLoss, TakeProfit])
@pytest.mark.parametrize("pct", ["0", "-1"])
def test_a_non_positive_percentage_is_refused(make: type, pct: str) -> None:
    with pytest.raises(ValueError, match="must be above 0"):
        make(D(pct))


def test_a_stop_of_a_hundred_percent_or_more_is_refused() -> None:
    with pytest.raises(ValueError, match="below 100"):
        TrailingStop(D(100))


def test_client_order_ids_are_derived_from_the_key() -> None:
    assert trade_client_order_id("k", "e") == trade_client_order_id("k", "e") != trade_client_order_id("k", "x")
    assert len(trade_client_order_id("k" * 500, "x")) == 35
    with pytest.raises(ValueError):
        trade_client_order_id("k", "b")


prices = st.lists(st.integers(50_000_0, 150_000_0).map(lambda t: D(t) / 10), min_size=1, max_size=60)


@given(prices, st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 99))
def test_a_trailing_stop_never_moves_against_the_trade(path: list[Decimal], side: Side, pct: int) -> None:
    stop = TrailingStop(D(pct) / 10)
    t = trade(side)
    level = stop.level(t, BTC)
    assert level is not None
    for price in path:
        t = t.followed(price)
        moved = stop.level(t, BTC)
        assert moved is not None
        assert (moved >= level) if side is Side.BUY else (moved <= level)
        level = moved
