from decimal import Decimal

import pytest

from tradewind.application.venue import RejectCode, VenueError
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode, from_venue
from tradewind.interfaces.sim_exchange.bybit_v5.params import Params
from tradewind.interfaces.sim_exchange.bybit_v5.render import SIDE


def test_json_numbers_become_decimals_never_floats() -> None:
    p = Params.from_body(b'{"qty": 0.1, "price": "60000.5", "positionIdx": 0}')
    assert p.decimal("qty") == Decimal("0.1")
    assert p.decimal("price") == Decimal("60000.5")
    assert p.integer("positionIdx", default=0, lo=0, hi=2) == 0


def test_query_string_values_are_read_as_sent() -> None:
    p = Params.from_query("symbol=BTCUSDT&category=spot&limit=5&coin=")
    assert p.category(Category.SPOT, Category.LINEAR) is Category.SPOT
    assert p.integer("limit", default=20, lo=1, hi=50) == 5
    assert "coin" not in p


@pytest.mark.parametrize(
    ("body", "call", "needle"),
    [
        (b"{not json", lambda p: None, "not valid JSON"),
        (b"[1, 2]", lambda p: None, "JSON object"),
        (b'{"qty": "abc"}', lambda p: p.decimal("qty"), "qty must be a number"),
        (b'{"qty": "NaN"}', lambda p: p.decimal("qty"), "qty must be a number"),
        (b'{"qty": true}', lambda p: p.decimal("qty"), "qty must be a number"),
        ('{"qty": "\u0661"}'.encode(), lambda p: p.decimal("qty"), "qty must be a number"),  # Arabic-Indic one
        (b'{"qty": "1_0"}', lambda p: p.decimal("qty"), "qty must be a number"),
        (b'{"qty": "1e22"}', lambda p: p.decimal("qty"), "qty must be a number"),
        (b'{"price": 1e22}', lambda p: p.decimal("price"), "price must be a number"),
        (b'{"limit": "' + b"9" * 4300 + b'"}', lambda p: p.integer("limit", default=1, lo=1, hi=50), "limit must be"),
        (b'{"cursor": ' + b"9" * 4300 + b"}", lambda p: p.integer("cursor", default=0, lo=0, hi=9), "cursor must be"),
        (b"[" * 100_000 + b"]" * 100_000, lambda p: None, "nested 100000 levels deep"),
        (b'{"qty": ' + b"[" * 50 + b"]" * 50 + b"}", lambda p: None, "nested 51 levels deep"),
        (b'{"side": "buy"}', lambda p: p.choice("side", SIDE), "side must be one of Buy, Sell"),
        (b'{"category": "option"}', lambda p: p.category(Category.SPOT), "category must be one of spot"),
        (
            b'{"limit": "500"}',
            lambda p: p.integer("limit", default=1, lo=1, hi=50),
            "limit must be a whole number from 1 to 50",
        ),
        (b"{}", lambda p: p.text("symbol", required=True), "symbol is required"),
    ],
)
def test_bad_parameters_are_10001_naming_the_field(body: bytes, call: object, needle: str) -> None:
    with pytest.raises(BybitError) as info:
        call(Params.from_body(body))  # type: ignore[operator]
    assert info.value.code is RetCode.PARAMS_ERROR
    assert needle in info.value.message


@pytest.mark.parametrize(
    ("code", "category", "ret"),
    [
        (RejectCode.QTY_TOO_SMALL, Category.SPOT, RetCode.SPOT_QTY_TOO_SMALL),
        (RejectCode.QTY_TOO_SMALL, Category.LINEAR, RetCode.PARAMS_ERROR),
        (RejectCode.PRICE_TICK, Category.SPOT, RetCode.SPOT_PRICE_DECIMALS),
        (RejectCode.INSUFFICIENT_BALANCE, Category.SPOT, RetCode.SPOT_BALANCE),
        (RejectCode.INSUFFICIENT_BALANCE, Category.LINEAR, RetCode.AB_NOT_ENOUGH),
        (RejectCode.DUPLICATE_LINK_ID, Category.LINEAR, RetCode.DUPLICATE_LINK_ID),
        (RejectCode.DUPLICATE_LINK_ID, Category.SPOT, RetCode.SPOT_DUPLICATE_ID),
        (RejectCode.NOTIONAL_TOO_SMALL, Category.LINEAR, RetCode.MIN_ORDER_VALUE),
        (RejectCode.ORDER_NOT_FOUND, Category.LINEAR, RetCode.ORDER_NOT_EXISTS),
    ],
)
def test_venue_refusals_map_to_the_categorys_retcode(code: RejectCode, category: Category, ret: RetCode) -> None:
    error = from_venue(VenueError(code, "what was wrong", category))
    assert error.code is ret
    assert error.detail == "what was wrong"


@pytest.mark.parametrize("category", [Category.SPOT, Category.LINEAR])
def test_every_venue_refusal_has_a_retcode(category: Category) -> None:
    for code in RejectCode:
        assert from_venue(VenueError(code, "x", category)).code is not RetCode.OK
