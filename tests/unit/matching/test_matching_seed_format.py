"""The seed message format: signed quantities in, trade and mid-price dicts out, bad input refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.domain.instruments import FilterError, default_instruments
from tradewind.domain.matching import MatchingEngine, RejectReason
from tradewind.domain.matching.seed_format import SeedFormatAdapter, SeedMessageError, SeedOrderRejected

BTC_LINEAR = next(i for i in default_instruments() if i.key == "linear:BTCUSDT")  # tick 0.1, step 0.001


@pytest.fixture
def adapter() -> SeedFormatAdapter:
    return SeedFormatAdapter(MatchingEngine(BTC_LINEAR))


def order(oid: str, quantity: object, price: object = "65000.0", order_type: str = "limit") -> dict[str, object]:
    return {"order_id": oid, "order_type": order_type, "price": price, "quantity": quantity, "time": "1700000000.5"}


def test_resting_orders_on_both_sides_publish_the_mid_price(adapter: SeedFormatAdapter) -> None:
    assert adapter.handle(order("b", "0.010", "64999.9")) == []
    assert adapter.handle(order("s", "-0.010", "65000.2")) == [{"mid_price": "65000.05"}]


def test_crossing_order_returns_trades_in_match_order_then_the_mid(adapter: SeedFormatAdapter) -> None:
    adapter.handle(order("s1", "-0.002", "65000.0"))
    adapter.handle(order("s2", "-0.003", "65000.5"))
    adapter.handle(order("b0", "0.001", "64990.0"))
    out = adapter.handle(order("b1", "0.004", "65001"))
    assert out == [
        {
            "left_order_id": "b1",
            "right_order_id": "s1",
            "quantity": "0.002",
            "price": "65000.0",
            "action": "Buy",
            "status": "PartiallyFilled",
        },
        {
            "left_order_id": "b1",
            "right_order_id": "s2",
            "quantity": "0.002",
            "price": "65000.5",
            "action": "Buy",
            "status": "Filled",
        },
        {"mid_price": "64995.25"},
    ]


def test_market_sell_takes_bids_and_int_quantities_are_accepted(adapter: SeedFormatAdapter) -> None:
    adapter.handle(order("b", 2, 65000))
    out = adapter.handle({"order_id": "m", "order_type": "market", "price": None, "quantity": -1, "time": 5})
    assert out == [
        {
            "left_order_id": "m",
            "right_order_id": "b",
            "quantity": "1.000",
            "price": "65000.0",
            "action": "Sell",
            "status": "Filled",
        }
    ]
    assert adapter.engine.order("b") is not None and adapter.engine.order("b").leaves == 1000  # type: ignore[union-attr]


def test_message_time_in_seconds_reaches_the_engine_as_exact_nanoseconds(adapter: SeedFormatAdapter) -> None:
    adapter.handle(order("s", "-0.001"))
    report = adapter.submit(order("b", "0.001"))
    assert [f.ts for f in report.fills] == [1_700_000_000_500_000_000]


def test_partially_filled_market_order_reports_partial_trades(adapter: SeedFormatAdapter) -> None:
    adapter.handle(order("s", "-0.001"))
    out = adapter.handle({"order_id": "m", "order_type": "market", "quantity": "0.005"})
    assert [t["status"] for t in out] == ["PartiallyFilled"]


@pytest.mark.parametrize(
    ("price", "quantity", "rule"),
    [("65000.05", "0.001", "tick_size"), ("65000.0", "0.0015", "qty_step")],
)
def test_price_or_quantity_off_the_grid_is_refused_naming_the_rule(
    adapter: SeedFormatAdapter, price: str, quantity: str, rule: str
) -> None:
    with pytest.raises(FilterError) as err:
        adapter.handle(order("x", quantity, price))
    assert err.value.rule == rule and "multiple" in str(err.value)
    assert adapter.engine.seq == 0


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"order_type": "limit", "price": "1", "quantity": "1"}, "order_id"),
        ({"order_id": "x", "order_type": "stop", "price": "1", "quantity": "1"}, "order_type"),
        ({"order_id": "x", "order_type": "limit", "price": "1", "quantity": 0.5}, "quantity"),
        ({"order_id": "x", "order_type": "limit", "price": "abc", "quantity": "1"}, "price"),
        ({"order_id": "x", "order_type": "limit", "price": "1", "quantity": "0"}, "quantity"),
        ({"order_id": "x", "order_type": "limit", "price": "NaN", "quantity": "1"}, "price"),
        ({"order_id": "x", "order_type": "limit", "price": "1", "quantity": True}, "quantity"),
    ],
)
def test_malformed_message_is_refused_naming_the_field(
    adapter: SeedFormatAdapter, message: dict[str, object], field: str
) -> None:
    with pytest.raises(SeedMessageError, match=field):
        adapter.handle(message)
    assert adapter.engine.seq == 0


def test_engine_rejection_is_raised_with_the_report(adapter: SeedFormatAdapter) -> None:
    adapter.handle(order("b", "0.001"))
    with pytest.raises(SeedOrderRejected, match="duplicate_order_id") as err:
        adapter.handle(order("b", "0.001"))
    assert err.value.report.reason is RejectReason.DUPLICATE_ORDER_ID
    with pytest.raises(SeedOrderRejected, match="no_liquidity"):
        adapter.handle({"order_id": "m", "order_type": "market", "quantity": "0.001"})
    assert adapter.engine.seq == 1
    assert Decimal(adapter.engine.snapshot().bids[0][0]) == Decimal(650000)
