"""Job validation: bad input is refused with a message that says what to change."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.instruments import default_instruments
from tradewind.domain.twap.codec import spec_from_payload, spec_to_payload
from tradewind.domain.twap.spec import TwapSpec, TwapSpecError, funds_needed, slices_for, twap_job_id, validate
from tradewind.domain.values import Category, Side

BTC = next(i for i in default_instruments() if i.category is Category.SPOT and i.symbol == "BTCUSDT")
SPEC = TwapSpec("sim", Category.SPOT, "BTCUSDT", Side.BUY, runtime_s=3600, slices=60, quantity=Decimal("0.6"))


def test_a_good_spec_gives_the_total_on_the_quantity_step() -> None:
    assert validate(SPEC, BTC) == Decimal("0.6")


def test_notional_is_sized_at_the_reference_price() -> None:
    spec = replace(SPEC, quantity=None, notional=Decimal("60000"))
    assert validate(spec, BTC, Decimal("100000")) == Decimal("0.6")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": Decimal("-1")}, "size must be positive"),
        ({"quantity": Decimal("0.0000005")}, "multiple of BTCUSDT's quantity step"),
        ({"quantity": None}, "exactly one of a base quantity"),
        ({"quantity": Decimal("0.0001")}, "below BTCUSDT's minimum order of 0.000011: use at most 9 slices"),
        ({"slices": 7200}, "less than one second apart: use fewer slices"),
        ({"limit_price": Decimal("100.05")}, "not on BTCUSDT's tick size 0.1: use e.g. 100.0"),
        ({"limit_price": Decimal("-1")}, "price limit must be positive"),
        ({"size_jitter": Decimal("1.5")}, "size_jitter must be a fraction"),
        ({"runtime_s": 0}, "runtime must be a positive"),
    ],
)
def test_bad_specs_are_refused_naming_what_to_change(change: dict[str, object], message: str) -> None:
    with pytest.raises(TwapSpecError, match=message):
        validate(replace(SPEC, **change), BTC)  # type: ignore[arg-type]


def test_runtime_shorter_than_one_interval_is_refused() -> None:
    with pytest.raises(TwapSpecError, match="shorter than one interval of 60 s: lengthen the runtime"):
        slices_for(30, interval_s=60)
    assert slices_for(3600, interval_s=60) == 60
    assert slices_for(3600, slices=12) == 12


def test_job_ids_must_fit_in_a_client_order_id() -> None:
    assert twap_job_id("abc123") == "abc123"
    with pytest.raises(TwapSpecError, match="lowercase letters or digits"):
        twap_job_id("Has Spaces")


@given(
    lots=st.integers(11, 10**7),
    slices=st.integers(1, 200),
    price=st.decimals(Decimal("100"), Decimal("200000"), places=1),
)
def test_a_spec_passes_exactly_when_each_slice_is_worth_the_minimum_order_value(
    lots: int, slices: int, price: Decimal
) -> None:
    spec = replace(SPEC, quantity=lots * BTC.qty_step, slices=slices, runtime_s=slices)
    worth = lots * BTC.qty_step / slices * price
    if worth / price < BTC.min_qty:
        return  # refused for the minimum size, checked above
    if worth < BTC.min_notional:
        with pytest.raises(TwapSpecError, match="below BTCUSDT's minimum order value of 5 USDT"):
            validate(spec, BTC, price)
    else:
        assert validate(spec, BTC, price) == spec.quantity


@pytest.mark.parametrize(
    ("side", "category", "needs"),
    [
        (Side.BUY, Category.SPOT, ("USDT", Decimal("130000"))),
        (Side.SELL, Category.SPOT, ("BTC", Decimal("2"))),
        (Side.SELL, Category.LINEAR, ("USDT", Decimal("13000"))),
    ],
)
def test_the_funds_a_job_needs_are_the_quote_the_base_or_linear_margin(
    side: Side, category: Category, needs: tuple[str, Decimal]
) -> None:
    instrument = replace(BTC, category=category)
    assert funds_needed(replace(SPEC, side=side, category=category), instrument, Decimal(2), Decimal(65000)) == needs


def test_allow_insufficient_travels_in_the_payload_and_must_be_a_flag() -> None:
    spec = replace(SPEC, allow_insufficient=True)
    assert spec_from_payload(spec_to_payload(spec)) == spec
    with pytest.raises(TwapSpecError, match="allow_insufficient must be true or false"):
        spec_from_payload({**spec_to_payload(spec), "allow_insufficient": "yes"})
