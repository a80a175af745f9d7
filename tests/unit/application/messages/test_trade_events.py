"""The trade and deal events' codec: exact decimal strings on the wire, a round trip through JSON text, and any
malformed payload refused with the codec's own error, naming the field."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.application.messages.codec import MalformedPayload
from tradewind.application.messages.trade_events import DEAL_EVENT, TRADE_EVENT
from tradewind.domain.instruments import Instrument
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import CloseReason, Deal, DealStatus
from tradewind.domain.trading.events import EventKind, Origin, TradeEvent, deal_event, trade_event
from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, Side

D = Decimal
BTC = Instrument("BTCUSDT", Category.SPOT, "BTC", "USDT", D("0.1"), D("0.000001"), D("0.000001"), D(100), D(1))
OPENED = Trade(
    3, "tg:42", 1_000, "sim", Category.SPOT, "BTCUSDT", Side.BUY, D("0.000799"), TradeStatus.OPEN,
    {"trailing_stop": D("2.8")}, D("100000.0"), D("100000.0"), D("0.0799"),
)  # fmt: skip
CLOSED = OPENED.closed("trailing_stop", D("100116.0"), D("0.0799916"), 9_000)

PAYLOAD = {
    "kind": "closed", "origin": "desk", "id": 3, "source": "", "exchange": "sim", "category": "spot",
    "symbol": "BTCUSDT", "side": "Buy", "qty": "0.000799", "entry_price": "100000.0", "exit_price": "100116.0",
    "pnl": "-0.0672076", "fees": "0.1598916", "reason": "trailing_stop", "by_exchange": False, "quote": "USDT",
    "tick_size": "0.1", "qty_step": "0.000001", "ts_ns": 9_000, "closed_qty": "0.000799", "missing_qty": "0",
}  # fmt: skip
PARTS = ("closed_qty", "missing_qty")  # absent from a publisher before closes in parts: the whole qty closed


def test_a_closed_trade_is_its_exact_decimal_strings_on_the_wire() -> None:
    event = trade_event(CLOSED, BTC, 12_345)
    assert event.topic == "trade.event.closed"
    assert TRADE_EVENT.encode(event) == PAYLOAD  # the close's own time, not the publisher's
    assert event.pnl == CLOSED.pnl() == D("0.092684") - D("0.1598916")
    assert TRADE_EVENT.decode(json.loads(json.dumps(PAYLOAD))) == event


def test_a_trade_closed_in_parts_says_what_closed_what_is_open_and_what_went_missing() -> None:
    part = OPENED.realised(D("0.0005"), D("50.058"), D("0.05"), missing=D("0.0001"))
    event = trade_event(replace(part, close_reason="stop_loss", closed_ns=4_000), BTC, 12_345)
    assert (event.topic, event.closed_qty, event.missing_qty, event.open_qty, event.exit_price, event.ts_ns) == (
        "trade.event.partly_closed", D("0.0005"), D("0.0001"), D("0.000199"), D("100116"), 4_000,
    )  # fmt: skip
    assert event.pnl == D("0.058") - D("0.0799") - D("0.05") and TRADE_EVENT.decode(TRADE_EVENT.encode(event)) == event
    closed = trade_event(part.closed("manual", D(100000), D(0), 5_000), BTC, 12_345)
    assert (closed.topic, closed.closed_qty, closed.missing_qty, closed.open_qty) == (
        "trade.event.closed", D("0.000699"), D("0.0001"), 0,
    )  # fmt: skip


def test_an_event_from_before_closes_in_parts_is_a_whole_close() -> None:
    event = TRADE_EVENT.decode({k: v for k, v in PAYLOAD.items() if k not in PARTS})
    assert (event.closed_qty, event.missing_qty, event.open_qty) == (None, 0, 0)


def test_an_open_trade_has_no_exit_and_takes_the_time_it_is_given() -> None:
    event = trade_event(OPENED, BTC, 12_345)
    assert (event.topic, event.exit_price, event.pnl, event.fees, event.reason, event.ts_ns) == (
        "trade.event.opened", None, None, D("0.0799"), "", 12_345,
    )  # fmt: skip


def test_a_deal_closed_by_the_exchanges_stop_while_down_keeps_the_fills_time() -> None:
    opened = Deal(
        7, 1_000, "sim", Category.LINEAR, "BTCUSDT", "trend-btc", "sig-1", Action.BUY, "sgb1", DealStatus.OPEN,
        D(1000), qty=D("0.01"), price=D("100010"), fee=D("1.0001"), take_profit=D("103010.3"), stop_loss=D("98009.8"),
    )  # fmt: skip
    closed = opened.closed(CloseReason.STOP_LOSS, D("98009.8"), D("0.98"), 5_000)
    event = deal_event(closed, BTC, 99_000, CloseReason.STOP_LOSS.value, by_exchange=True)
    assert event.topic == "trader.deal.closed"
    assert (event.origin, event.source, event.side, event.reason, event.by_exchange, event.ts_ns) == (
        Origin.TRADER, "trend-btc", Side.BUY, "stop_loss", True, 5_000,
    )  # fmt: skip
    assert event.pnl == closed.realised_pnl() and event.fees == D("1.9801")
    assert DEAL_EVENT.decode(DEAL_EVENT.encode(event)) == event
    assert deal_event(opened, BTC, 2_000).topic == "trader.deal.opened"


def test_an_event_says_closed_exactly_when_it_has_an_exit() -> None:
    with pytest.raises(ValueError, match="exactly when closed"):
        TradeEvent(
            EventKind.OPENED, Origin.DESK, 1, "", "sim", Category.SPOT, "X", Side.BUY, D(1), D(1), D(2), None, D(0),
            "", False, "USDT", D(1), D(1), 0,
        )  # fmt: skip
    with pytest.raises(ValueError, match="only a stored trade with an entry"):
        trade_event(Trade(None, "k", 0, "sim", Category.SPOT, "X", Side.BUY, D(1), TradeStatus.PENDING), BTC, 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
# What each field accepts; anything else in its place is malformed.
DECIMALS = ("qty", "entry_price", "fees", "tick_size", "qty_step", "missing_qty")
OPTIONAL_DECIMALS = ("exit_price", "pnl", "closed_qty")
TEXTS = ("source", "exchange", "symbol", "reason", "quote")
CHOICES = {"kind": ["opened", "closed", "partly_closed"], "origin": ["desk", "trader"],
           "category": ["spot", "linear", "inverse"], "side": ["Buy", "Sell"]}  # fmt: skip
INTEGERS = ("id", "ts_ns")


def _wrong(field: str) -> st.SearchStrategy[Any]:
    """JSON values the field never accepts."""
    if field in DECIMALS or field in OPTIONAL_DECIMALS:
        not_null = field in DECIMALS
        numbers = st.text(max_size=8).filter(lambda t: not _finite(t)) | st.sampled_from(["NaN", "Infinity", "-inf"])
        return numbers | json_values.filter(lambda v: not isinstance(v, str) and (not_null or v is not None))
    if field in TEXTS:
        return json_values.filter(lambda v: not isinstance(v, str))
    if field in CHOICES:
        return json_values.filter(lambda v: v not in CHOICES[field])
    if field in INTEGERS:
        return json_values.filter(lambda v: not isinstance(v, int) or isinstance(v, bool) or v < 0)
    return json_values.filter(lambda v: not isinstance(v, bool))  # by_exchange


def _finite(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except ArithmeticError:
        return False


@given(data=st.data(), field=st.sampled_from(sorted(PAYLOAD)))
def test_a_wrong_value_in_any_field_is_the_codecs_own_error_naming_it(data: st.DataObject, field: str) -> None:
    payload = {**PAYLOAD, field: data.draw(_wrong(field))}
    with pytest.raises(MalformedPayload) as raised:
        TRADE_EVENT.decode(payload)
    assert raised.value.kind == "trade.event"
    assert field in str(raised.value)


@given(field=st.sampled_from(sorted(set(PAYLOAD) - set(PARTS))))
def test_a_missing_field_is_named(field: str) -> None:
    payload = {k: v for k, v in PAYLOAD.items() if k != field}
    with pytest.raises(MalformedPayload, match=f"missing field '{field}'"):
        DEAL_EVENT.decode(payload)


@given(st.dictionaries(st.sampled_from(sorted(PAYLOAD)) | st.text(max_size=6), json_values, max_size=25))
def test_any_json_object_decodes_or_is_the_codecs_own_error(payload: dict[str, Any]) -> None:
    try:
        event = TRADE_EVENT.decode({**PAYLOAD, **payload})
    except MalformedPayload as exc:
        assert exc.kind == "trade.event" and str(exc)
    else:
        assert TRADE_EVENT.decode(TRADE_EVENT.encode(event)) == event


@given(json_values)
def test_a_payload_that_is_not_an_object_is_the_codecs_own_error(payload: Any) -> None:
    with pytest.raises(MalformedPayload):
        TRADE_EVENT.decode(payload)
