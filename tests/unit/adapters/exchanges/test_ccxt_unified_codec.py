"""ccxt's unified structures mapped to domain values: exact, in base units, with every status and fee shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ccxt.base.decimal_to_precision import DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE
from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.exchanges.ccxt import unified
from tradewind.adapters.exchanges.ccxt.pro_stream import on_grid
from tradewind.domain.instruments import FilterError
from tradewind.domain.orders import OrderState
from tradewind.domain.values import Category, Side

D = Decimal


def _market(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "BTCUSDT", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT", "spot": True, "swap": False,
        "linear": None, "contractSize": None, "precision": {"price": "0.01", "amount": "0.00001"},
        "limits": {"amount": {"min": "0.0001", "max": "9000"}, "cost": {"min": "5"}},
    }  # fmt: skip
    row.update(overrides)
    return row


SWAP = _market(
    id="BTC-USDT-SWAP", symbol="BTC/USDT:USDT", spot=False, swap=True, linear=True, contractSize="0.01",
    precision={"price": "0.1", "amount": "1"}, limits={"amount": {"min": "1", "max": None}, "cost": {"min": None}},
)  # fmt: skip


def test_spot_market_keeps_the_exchange_grid_exactly() -> None:
    m = unified.market(_market(), TICK_SIZE)
    inst = m.instrument
    assert (inst.symbol, inst.category, inst.tick_size, inst.qty_step) == (
        "BTCUSDT",
        Category.SPOT,
        D("0.01"),
        D("0.00001"),
    )
    assert (inst.min_qty, inst.max_qty, inst.min_notional, m.contract_size) == (D("0.0001"), D("9000"), D("5"), 1)


def test_a_contract_market_is_traded_in_base_units() -> None:
    m = unified.market(SWAP, TICK_SIZE)
    assert (m.instrument.category, m.instrument.qty_step, m.instrument.min_qty) == (
        Category.LINEAR,
        D("0.01"),
        D("0.01"),
    )
    assert m.contracts(D("0.25")) == D("25") and m.base(D("25")) == D("0.25")


def test_decimal_places_precision_becomes_a_tick() -> None:
    m = unified.market(_market(precision={"price": "2", "amount": "5"}), DECIMAL_PLACES)
    assert (m.instrument.tick_size, m.instrument.qty_step) == (D("0.01"), D("0.00001"))


@pytest.mark.parametrize(
    ("row", "mode", "why"),
    [
        (_market(), SIGNIFICANT_DIGITS, "significant digits"),
        (_market(spot=False, swap=False, future=True), TICK_SIZE, "only spot and linear"),
        (_market(spot=False, swap=True, linear=False, inverse=True), TICK_SIZE, "only spot and linear"),
        (_market(precision={"price": None, "amount": "1"}), TICK_SIZE, "no price precision"),
    ],
)
def test_markets_that_cannot_be_traded_exactly_are_refused_with_the_reason(row: Any, mode: int, why: str) -> None:
    with pytest.raises(unified.UnsupportedMarket, match=why):
        unified.market(row, mode)


def test_a_float_from_ccxt_is_refused_unless_allowed() -> None:
    with pytest.raises(TypeError, match="keep numbers as strings"):
        unified.exact(0.1)
    assert unified.exact(0.1, allow_float=True) == D("0.1")


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("open", "0", OrderState.NEW),
        ("open", "0.5", OrderState.PARTIALLY_FILLED),
        ("closed", "1", OrderState.FILLED),
        ("canceled", "0.5", OrderState.CANCELLED),
        ("expired", "0", OrderState.CANCELLED),
        ("rejected", "0", OrderState.REJECTED),
        (None, "0", OrderState.NEW),
    ],
)
def test_order_states(status: str | None, filled: str, expected: OrderState) -> None:
    assert unified.state({"status": status, "filled": filled}) is expected


def test_order_in_contracts_comes_back_in_base_with_fees_summed_per_currency() -> None:
    m = unified.market(SWAP, TICK_SIZE)
    row = {
        "id": "77", "clientOrderId": "tw-1", "status": "open", "side": "sell", "amount": "30", "filled": "10",
        "price": "60000.1", "average": None, "cost": "6000.01",
        "fees": [
            {"cost": "0.5", "currency": "USDT"}, {"cost": "0.25", "currency": "USDT"}, {"cost": "1", "currency": "OKB"},
        ],
    }  # fmt: skip
    result = unified.order_result(row, m)
    assert (result.client_order_id, result.exchange_order_id, result.state) == (
        "tw-1",
        "77",
        OrderState.PARTIALLY_FILLED,
    )
    assert (result.qty, result.filled_qty, result.avg_price) == (D("0.3"), D("0.1"), D("60000.1"))
    assert (result.fee, result.fee_currency, result.side, result.symbol) == (
        D("0.75"),
        "USDT",
        Side.SELL,
        "BTC-USDT-SWAP",
    )


def test_fill_and_position_in_base_units() -> None:
    m = unified.market(SWAP, TICK_SIZE)
    trade = {"id": "t1", "price": "60000.1", "amount": "3", "fee": {"cost": "0.1", "currency": "USDT"},
             "takerOrMaker": "maker", "timestamp": 1700000000123, "side": "buy"}  # fmt: skip
    f = unified.fill(trade, m, "tw-1")
    assert (f.qty, f.price, f.fee, f.is_maker, f.ts_ns, f.side) == (
        D("0.03"),
        D("60000.1"),
        D("0.1"),
        True,
        1700000000123000000,
        Side.BUY,
    )
    pos = unified.position({"contracts": "5", "side": "short", "entryPrice": "59000", "unrealizedPnl": "-1.5"}, m)
    assert pos is not None and (pos.size, pos.avg_price, pos.unrealised_pnl) == (D("-0.05"), D("59000"), D("-1.5"))
    assert unified.position({"contracts": "0", "side": "long"}, m) is None


def test_balances_derive_a_missing_part() -> None:
    out = unified.balances({"total": {"USDT": "100", "BTC": "2"}, "free": {"USDT": "60"}, "used": {"BTC": "0.5"}})
    assert out["USDT"].total == 100 and out["USDT"].free == 60 and out["USDT"].locked == 40
    assert out["BTC"].free == D("1.5") and out["BTC"].locked == D("0.5")


@given(ticks=st.integers(min_value=1, max_value=10**9), scale=st.integers(min_value=0, max_value=6))
def test_a_float_level_on_the_grid_reads_back_exactly(ticks: int, scale: int) -> None:
    step = D(1).scaleb(-scale)
    price = step * ticks
    assert on_grid(float(price), step, "price", "X") == price


def test_a_float_off_the_grid_fails_instead_of_rounding() -> None:
    with pytest.raises(FilterError, match=r"not a multiple of 0\.1"):
        on_grid(0.1 + 0.2, D("0.1"), "price", "BTCUSDT")
