"""Binance parameter reading: plain decimals only, names in every error, duplicates and unread ones refused."""

from decimal import Decimal

import pytest

from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code
from tradewind.interfaces.sim_exchange.binance_spot.params import Params


def _raises(fn: object, *args: object, **kw: object) -> BinanceError:
    with pytest.raises(BinanceError) as info:
        fn(*args, **kw)  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize("value", ["-1", "1e-3", "NaN", "Infinity", "1.", ".5", " 1", "0x10", "1,5", "+1"])
def test_anything_but_a_plain_non_negative_decimal_is_1100_naming_the_field(value: str) -> None:
    error = _raises(Params({"quantity": value}).decimal, "quantity")
    assert error.code == Code.ILLEGAL_CHARS
    assert error.message.startswith("Illegal characters found in parameter 'quantity'")


@pytest.mark.parametrize(("value", "expected"), [("0.001", "0.001"), ("60000", "60000"), ("0.00000100", "0.000001")])
def test_plain_decimals_parse_exactly(value: str, expected: str) -> None:
    parsed = Params({"price": value}).decimal("price")
    assert parsed == Decimal(expected) and isinstance(parsed, Decimal)


def test_a_missing_mandatory_field_is_1102_naming_it() -> None:
    error = _raises(Params({}).text, "symbol", required=True)
    assert error.code == Code.MANDATORY_PARAM
    assert error.message == "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."


def test_integers_are_checked_against_their_range() -> None:
    assert Params({"limit": "1000"}).integer("limit", lo=1, hi=1000) == 1000
    for bad in ("0", "1001", "-5", "1.5", "ten"):
        assert _raises(Params({"limit": bad}).integer, "limit", lo=1, hi=1000).code == Code.ILLEGAL_CHARS


def test_the_query_string_wins_over_the_body_and_duplicates_are_refused() -> None:
    assert Params.parse("symbol=ETHUSDT", b"symbol=BTCUSDT&side=BUY").text("symbol") == "ETHUSDT"
    assert _raises(Params.parse, "symbol=A&symbol=B", b"").code == Code.TOO_MANY_PARAMETERS


def test_unread_parameters_are_1104_naming_them() -> None:
    error = _raises(Params({"symbol": "BTCUSDT", "qty": "1", "prce": "2"}).only, ("symbol", "quantity", "price"))
    assert error.code == Code.UNREAD_PARAMETERS
    assert error.message == "Not all sent parameters were read; read '1' parameter(s) but was sent '3'."
    assert error.detail == "not read here: prce, qty"
    Params({"symbol": "BTCUSDT"}).only(("symbol", "limit"))


def test_choices_use_binances_code_for_the_field() -> None:
    assert _raises(Params({"side": "buy"}).choice, "side", ("BUY", "SELL"), code=Code.INVALID_SIDE).message == (
        "Invalid side."
    )
    assert Params({"side": "SELL"}).choice("side", ("BUY", "SELL")) == "SELL"
