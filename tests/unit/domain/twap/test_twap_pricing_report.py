"""Slice pricing under a price limit, and the execution report maths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.domain.instruments import default_instruments
from tradewind.domain.twap.pricing import breaches_limit, slice_order
from tradewind.domain.twap.report import FillRow, PricePoint, build_report, slippage_bps, time_weighted_price
from tradewind.domain.twap.spec import OrderStyle
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

BTC = next(i for i in default_instruments() if i.category is Category.SPOT and i.symbol == "BTCUSDT")
D = Decimal


@pytest.mark.parametrize(
    ("side", "price", "limit", "breached"),
    [
        (Side.BUY, D(101), D(100), True),
        (Side.BUY, D(100), D(100), False),
        (Side.SELL, D(99), D(100), True),
        (Side.SELL, D(100), D(100), False),
        (Side.BUY, D(10**6), None, False),
    ],
)
def test_a_buy_never_pays_above_and_a_sell_never_sells_below_the_limit(
    side: Side, price: Decimal, limit: Decimal | None, breached: bool
) -> None:
    assert breaches_limit(side, price, limit) is breached


def test_marketable_limit_is_capped_by_slippage_and_the_limit() -> None:
    buy = slice_order(OrderStyle.MARKETABLE_LIMIT, Side.BUY, D(99), D(100), BTC, max_slippage_bps=D(50))
    assert buy.price == D("100.5")
    assert buy.time_in_force is TimeInForce.IOC
    capped = slice_order(OrderStyle.MARKETABLE_LIMIT, Side.BUY, D(99), D(100), BTC, limit=D("100.2"))
    assert capped.price == D("100.2")
    sell = slice_order(OrderStyle.MARKETABLE_LIMIT, Side.SELL, D(100), D(101), BTC, max_slippage_bps=D(50))
    assert sell.price == D("99.5")


def test_market_order_under_a_limit_becomes_ioc_at_the_limit() -> None:
    order = slice_order(OrderStyle.MARKET, Side.SELL, D(100), D(101), BTC, limit=D(98))
    assert (order.order_type, order.price) == (OrderType.LIMIT, D(98))
    assert slice_order(OrderStyle.MARKET, Side.SELL, D(100), D(101), BTC).order_type is OrderType.MARKET


def test_passive_slices_rest_at_the_touch_and_the_last_one_crosses() -> None:
    passive = slice_order(OrderStyle.PASSIVE_LIMIT, Side.BUY, D(99), D(100), BTC)
    assert (passive.price, passive.time_in_force) == (D(99), TimeInForce.POST_ONLY)
    last = slice_order(OrderStyle.PASSIVE_LIMIT, Side.BUY, D(99), D(100), BTC, last_slice=True)
    assert last.time_in_force is TimeInForce.IOC


def test_market_twap_weights_each_price_by_how_long_it_held() -> None:
    points = [PricePoint(0, D(100)), PricePoint(30, D(110)), PricePoint(90, D(200))]
    # 100 from 10..30, 110 from 30..90, 200 from 90..100
    assert time_weighted_price(points, 10, 100) == (D(100) * 20 + D(110) * 60 + D(200) * 10) / 90
    assert time_weighted_price([PricePoint(200, D(1))], 10, 100) is None


def test_slippage_is_positive_when_the_job_did_worse() -> None:
    assert slippage_bps(Side.BUY, D("100.1"), D(100)) == D("10.00")
    assert slippage_bps(Side.SELL, D("100.1"), D(100)) == D("-10.00")
    assert slippage_bps(Side.BUY, None, D(100)) is None


def test_report_sums_fills_and_fees_and_compares_with_both_benchmarks() -> None:
    fills = [FillRow(0, 5, D(1), D(100), D("0.1")), FillRow(1, 15, D(3), D(104), D("0.3"))]
    report = build_report(
        Side.BUY, fills, [], [PricePoint(0, D(100)), PricePoint(10, D(102))], window=(0, 20), arrival_price=D(100)
    )
    assert report.filled_qty == D(4)
    assert report.avg_price == D(103)
    assert report.market_twap == D(101)
    assert report.fees == D("0.4")
    assert report.slippage_vs_arrival_bps == D("300.00")
    assert report.slippage_vs_twap_bps == slippage_bps(Side.BUY, D(103), D(101))
