"""The message registry: every topic kind's value survives the JSON round trip exactly; bad payloads are poison."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.application.messages.codec import Codec, MalformedPayload
from tradewind.application.messages.commands import TRADE_COMMAND
from tradewind.application.messages.market import BOOK, MID, ORDER_EVENT, TRADE
from tradewind.application.messages.marketdata import (
    BOOK_CALL,
    SUBSCRIBE_CALL,
    SUBSCRIPTIONS_CALL,
    UNSUBSCRIBE_CALL,
    Refusal,
    SubscribeRequest,
)
from tradewind.application.messages.registry import CALLS, CODECS, codec_for
from tradewind.application.messages.spread import ORDERS_CALL, SETTLEMENT, settlement_topic
from tradewind.application.messages.trade_events import DEAL_EVENT, TRADE_EVENT
from tradewind.application.messages.twap import JOB_COMMAND, SLICE_DONE, SLICE_DUE, JobCommand, SliceDone, SliceDue
from tradewind.application.ports.bus import PoisonMessage
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.domain.candles import Candle
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.commands import AmountUnit, CloseAll, CloseTrade, OpenTrade
from tradewind.domain.ids import JobId
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.order_events import OrderEventKind, OrderUpdate
from tradewind.domain.orders import OrderState
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.orders import (
    FundingPayment,
    FundingSettlement,
    LegOutcome,
    LegStatus,
    SpreadAction,
    SpreadOrder,
    SpreadReply,
    Verdict,
)
from tradewind.domain.trading.events import EventKind, Origin, TradeEvent
from tradewind.domain.twap.job import JobStatus
from tradewind.domain.values import Category, Side

decimals = st.decimals(allow_nan=False, allow_infinity=False)
words = st.text("ABCXYZabc019-_", min_size=1, max_size=12)
ints = st.integers(0, 2**63 - 1)
refs = st.builds(InstrumentRef, words, st.sampled_from(Category), words, st.text("ABC", max_size=6))
levels = st.lists(st.tuples(decimals, decimals), max_size=5).map(tuple)
prices = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**9), places=3)
amounts = st.decimals(min_value=0, max_value=Decimal(10**9), places=6)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}", fullmatch=True)
settlements = st.builds(FundingSettlement, words, words, st.sampled_from(Category), words, decimals, prices, ints)


@st.composite
def candles(draw: st.DrawFn) -> Candle:
    """Consistent candles only: the codec refuses the others."""
    o, c, extra_high, extra_low = draw(prices), draw(prices), draw(amounts), draw(prices)
    high, low = max(o, c) + extra_high, max(min(o, c) - extra_low, Decimal("0.001"))
    minutes = draw(st.sampled_from([1, 5, 60, 1440]))
    start = draw(st.integers(0, 10**8)) * minutes * 60_000
    return Candle(draw(refs), minutes, start, o, high, min(low, o, c), c, draw(amounts), draw(amounts), draw(ints))


pcts = st.none() | st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99.9999"), places=4)
signals = st.builds(
    Signal, ids, ids, ids, st.sampled_from(Category), ids, st.sampled_from(Action), prices, pcts, pcts,
    st.sampled_from([1, 15]), ints, prices, ints,
)  # fmt: skip
statuses = st.builds(SubscriptionStatus, refs, ints, st.booleans(), st.booleans(), ints, ints, ints)
maybe_decimals = st.none() | decimals
trade_commands = st.one_of(
    st.builds(
        OpenTrade, st.sampled_from(Side), words, decimals, st.sampled_from(AmountUnit), st.none() | words,
        st.sampled_from(Category), maybe_decimals, maybe_decimals, maybe_decimals, maybe_decimals,
    ),
    st.builds(CloseTrade, words, st.none() | words, st.sampled_from(Category)),
    st.builds(CloseAll, st.none() | words),
)  # fmt: skip


@st.composite
def trade_events(draw: st.DrawFn, origin: Origin) -> TradeEvent:
    """Consistent events only (exit price and PnL exactly when closed): the codec refuses the others."""
    kind = draw(st.sampled_from(EventKind))
    closed = kind is not EventKind.OPENED
    qty = draw(decimals)
    part = draw(st.none() | st.decimals(0, 1, places=3).map(lambda f: qty * f)) if closed and qty >= 0 else None
    return TradeEvent(
        kind, origin, draw(st.integers(0, 2**31)), draw(st.text(max_size=12)), draw(words),
        draw(st.sampled_from(Category)), draw(words), draw(st.sampled_from(Side)), qty, draw(decimals),
        draw(decimals) if closed else None, draw(decimals) if closed else None, draw(decimals),
        draw(st.text(max_size=20)) if closed else "", draw(st.booleans()), draw(words), draw(prices), draw(prices),
        draw(ints), part, qty - part if part is not None else Decimal(0),
    )  # fmt: skip


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "md.trade": st.builds(TradeTick, refs, words, decimals, decimals, st.sampled_from(Side), ints),
    "md.mid": st.builds(MidPrice, refs, decimals, decimals, decimals, ints),
    "md.book": st.builds(BookSnapshot, refs, ints, levels, levels, ints),
    "md.candle": candles(),
    "signal.trade": signals,
    "order.event": st.builds(
        OrderUpdate,
        kind=st.sampled_from(OrderEventKind),
        exchange=words,
        category=st.sampled_from(Category),
        symbol=words,
        client_order_id=words,
        ts_ns=ints,
        side=st.none() | st.sampled_from(Side),
        state=st.none() | st.sampled_from(OrderState),
        qty=st.none() | decimals,
        price=st.none() | decimals,
        filled_qty=decimals,
        avg_price=st.none() | decimals,
        fee=decimals,
        is_maker=st.none() | st.booleans(),
    ),
    "twap.command": st.builds(JobCommand, st.sampled_from(["create", "pause", "resume", "cancel"]), words),
    "twap.slice": st.builds(SliceDue, words.map(JobId), ints),
    "twap.event": st.builds(SliceDone, words.map(JobId), ints, st.sampled_from(JobStatus), decimals, decimals),
    "cmd.trade": st.builds(TradeCommandEvent, trade_commands, st.booleans()),
    "funding.payment": st.builds(FundingPayment, words, words, st.sampled_from(Category), words, decimals, ints),
    "funding.rate": settlements,
    "trade.event": trade_events(Origin.DESK),
    "trader.deal": trade_events(Origin.TRADER),
}


def wire(codec: Codec[Any], value: Any) -> Any:
    """The value as it leaves and arrives: encoded, through JSON text (no float, no Decimal), decoded."""
    return codec.decode(json.loads(json.dumps(codec.encode(value), allow_nan=False)))


def test_every_registered_kind_has_a_value_strategy() -> None:
    assert set(CODECS) == set(VALUES)
    assert set(CALLS) == {
        "rpc.md.subscribe", "rpc.md.unsubscribe", "rpc.md.subscriptions", "rpc.md.book", "rpc.orders", "rpc.spreads",
    }  # fmt: skip


@pytest.mark.parametrize("kind", sorted(VALUES))
@given(data=st.data())
def test_a_value_of_every_kind_survives_the_json_round_trip(kind: str, data: st.DataObject) -> None:
    value = data.draw(VALUES[kind])
    assert wire(CODECS[kind], value) == value


@given(refs, st.none() | st.integers(1, 1000), statuses, st.lists(statuses, max_size=3))
def test_market_data_requests_and_replies_survive_the_round_trip(
    ref: InstrumentRef, depth: int | None, status: SubscriptionStatus, listed: list[SubscriptionStatus]
) -> None:
    assert wire(SUBSCRIBE_CALL.request, SubscribeRequest(ref, depth)) == SubscribeRequest(ref, depth)
    assert wire(SUBSCRIBE_CALL.reply, status) == status
    assert wire(UNSUBSCRIBE_CALL.request, ref) == ref
    assert wire(UNSUBSCRIBE_CALL.reply, None) is None
    assert wire(SUBSCRIPTIONS_CALL.reply, listed) == listed
    assert wire(BOOK_CALL.request, ref) == ref


@pytest.mark.parametrize("call", sorted(c for c in CALLS if c.startswith("rpc.md.")))
def test_a_refusal_comes_back_as_a_refusal_on_every_call(call: str) -> None:
    refusal = Refusal("not_found", "not subscribed: sim spot BTCUSDT")
    assert CALLS[call].reply.encode(refusal) == {"ok": False, "kind": "not_found", "error": refusal.error}
    assert wire(CALLS[call].reply, refusal) == refusal


def test_the_topic_kind_is_the_first_two_words() -> None:
    assert codec_for("md.trade.sim.spot.BTCUSDT") is TRADE
    assert codec_for("md.book.bybit.linear.ETHUSDT") is BOOK
    assert codec_for("order.event") is ORDER_EVENT
    assert codec_for("twap.slice") is SLICE_DUE
    assert codec_for("md.candle.sim.linear.BTCUSDT.5").kind == "md.candle"
    assert codec_for("signal.trade.sim.linear.BTCUSDT").kind == "signal.trade"
    assert codec_for("trade.event.closed") is TRADE_EVENT
    assert codec_for("trader.deal.opened") is DEAL_EVENT
    with pytest.raises(MalformedPayload, match=r"no codec for kind 'md\.quote'"):
        codec_for("md.quote.sim.spot.BTCUSDT")


def test_twap_messages_keep_their_wire_format() -> None:
    assert JOB_COMMAND.encode(JobCommand("resume", "j-1")) == {"action": "resume", "job_id": "j-1"}
    assert SLICE_DUE.encode(SliceDue(JobId("j-1"), 3)) == {"job_id": "j-1", "index": 3}
    done = SliceDone(JobId("j-1"), 3, JobStatus.RUNNING, Decimal("0.300"), Decimal("1.0"))
    assert SLICE_DONE.encode(done) == {
        "job_id": "j-1",
        "index": 3,
        "status": "running",
        "filled": "0.300",
        "total": "1.0",
    }


def test_a_trade_command_is_the_seeds_json_with_exact_decimal_strings() -> None:
    event = TradeCommandEvent(
        OpenTrade(Side.BUY, "BTCUSDT", Decimal("80"), exchange="bybit", trailing_stop_pct=Decimal("2.8"))
    )
    assert TRADE_COMMAND.encode(event) == {
        "action": "open", "ticker": "BTCUSDT", "qty": "80", "unit": "quote", "side": "BUY", "exchange": "bybit",
        "category": "spot", "trailing_stop_pct": "2.8", "stop_loss_pct": None, "take_profit_pct": None,
        "limit_price": None, "dry": False, "key": "",
    }  # fmt: skip
    keyed = TradeCommandEvent(event.command, key="tg:42")
    assert TRADE_COMMAND.decode(TRADE_COMMAND.encode(keyed)) == keyed
    assert event.topic == "cmd.trade.bybit"
    assert codec_for(event.topic) is TRADE_COMMAND
    everywhere = TradeCommandEvent(CloseAll(), dry=True)
    assert (everywhere.topic, TRADE_COMMAND.encode(everywhere)) == (
        "cmd.trade",
        {"action": "close_all", "exchange": None, "dry": True, "key": ""},
    )
    assert codec_for(everywhere.topic) is TRADE_COMMAND


_OPEN = {"action": "open", "ticker": "BTCUSDT", "qty": "80", "side": "BUY", "exchange": "sim"}

MALFORMED: list[tuple[Codec[Any], dict[str, Any], str]] = [
    (TRADE, {"exchange": "sim", "category": "spot", "symbol": "X"}, "taker_side"),
    (
        TRADE,
        {
            **TRADE.encode(
                TradeTick(InstrumentRef("sim", Category.SPOT, "X"), "t", Decimal(1), Decimal(1), Side.BUY, 1)
            ),
            "price": 1.5,
        },
        "price",
    ),
    (
        MID,
        {
            **MID.encode(MidPrice(InstrumentRef("sim", Category.SPOT, "X"), Decimal(1), Decimal(1), Decimal(1), 1)),
            "mid": "NaN",
        },
        "mid",
    ),
    (
        BOOK,
        {**BOOK.encode(BookSnapshot(InstrumentRef("sim", Category.SPOT, "X"), 1, (), (), 1)), "bids": [["1"]]},
        "bids[0]",
    ),
    (ORDER_EVENT, {"kind": "fill"}, "ts_ns"),
    (
        ORDER_EVENT,
        {**ORDER_EVENT.encode(OrderUpdate(OrderEventKind.FILL, "sim", Category.SPOT, "X", "c", 1)), "fee": "lots"},
        "",
    ),
    (JOB_COMMAND, {"job_id": "j-1"}, "action"),
    (SLICE_DUE, {"job_id": "j-1", "index": "third"}, "third"),
    (SLICE_DONE, {"job_id": "j-1", "index": 1, "status": "sleeping", "filled": "0", "total": "1"}, "sleeping"),
    (SUBSCRIBE_CALL.request, {"exchange": "sim", "category": "option", "symbol": "X"}, "unknown category 'option'"),
    (SUBSCRIBE_CALL.request, {"exchange": "sim", "category": "spot", "symbol": "X", "depth": "50"}, "depth"),
    (BOOK_CALL.reply, {"ok": True}, "book"),
    (TRADE_COMMAND, {**_OPEN, "qty": 80.5}, "'qty' must be a decimal string"),
    (TRADE_COMMAND, {**_OPEN, "qty": "NaN"}, "finite"),
    (TRADE_COMMAND, {**_OPEN, "qty": "lots"}, ""),
    (TRADE_COMMAND, {**_OPEN, "side": "Buy"}, "BUY or SELL"),
    (TRADE_COMMAND, {**_OPEN, "action": "hold"}, "open, close or close_all"),
    (TRADE_COMMAND, {**_OPEN, "dry": "yes"}, "'dry'"),
    (TRADE_COMMAND, {**_OPEN, "key": 7}, "'key'"),
    (TRADE_COMMAND, {"action": "close", "exchange": "sim"}, "ticker"),
]


@pytest.mark.parametrize(("codec", "payload", "named"), MALFORMED)
def test_a_malformed_payload_is_poison_naming_the_problem(
    codec: Codec[Any], payload: dict[str, Any], named: str
) -> None:
    with pytest.raises(MalformedPayload) as raised:
        codec.decode(payload)
    assert isinstance(raised.value, PoisonMessage) and isinstance(raised.value, ValueError)
    assert named in str(raised.value)
    assert raised.value.kind == codec.kind


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"amount_quote": "-1"}, "amount_quote must be positive"),
        ({"source": None}, "'source' must be a string"),
        ({"symbol": "BTC/USDT"}, "symbol must be"),
    ],
)
def test_a_bad_signal_is_poison_naming_what_is_wrong(payload: dict[str, Any], reason: str) -> None:
    good = CODECS["signal.trade"].encode(
        Signal("a" * 32, "trend-btc", "sim", Category.LINEAR, "BTCUSDT", Action.BUY, Decimal(100), None, None, 1, 0,
               Decimal(1), 0)
    )  # fmt: skip
    with pytest.raises(PoisonMessage, match=reason):
        CODECS["signal.trade"].decode({**good, **payload})


positive = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**9), allow_nan=False, places=6)
spread_refs = st.builds(InstrumentRef, words, st.sampled_from(Category), words, st.text("ABC", max_size=6))


@given(
    st.builds(
        SpreadOrder,
        words,
        words,
        st.sampled_from(SpreadAction),
        st.builds(Pair, spread_refs, spread_refs),
        positive,
        positive,
        positive,
        ints,
    ),
    st.builds(
        SpreadReply,
        words,
        st.sampled_from(Verdict),
        st.text(max_size=20),
        st.lists(
            st.builds(
                LegOutcome,
                words,
                st.sampled_from(Category),
                words,
                st.sampled_from(Side),
                decimals,
                decimals,
                maybe_decimals,
                decimals,
                st.sampled_from(LegStatus),
                words,
                decimals,
                maybe_decimals,
            ),
            max_size=2,
        ).map(tuple),
        st.none() | st.sampled_from(Verdict),
    ),
)
def test_spread_orders_and_replies_survive_the_round_trip(order: SpreadOrder, reply: SpreadReply) -> None:
    assert wire(ORDERS_CALL.request, order) == order
    assert wire(ORDERS_CALL.reply, reply) == reply


def test_a_spread_order_with_a_float_price_is_malformed() -> None:
    payload = {
        "request_id": "r", "spread_id": "s", "action": "open", "qty": "1", "long_price": 1.5, "short_price": "2",
        "long": {"exchange": "sim", "category": "spot", "symbol": "X"}, "ts_ns": 0,
        "short": {"exchange": "sim", "category": "linear", "symbol": "X"},
    }  # fmt: skip
    with pytest.raises(MalformedPayload, match="decimal string"):
        ORDERS_CALL.request.decode(payload)


_SETTLEMENT_FIELDS = ("funding_id", "exchange", "category", "symbol", "rate", "mark", "ts_ns")


@given(settlements)
def test_a_settlement_keeps_its_wire_format_and_topic(settlement: FundingSettlement) -> None:
    payload = SETTLEMENT.encode(settlement)
    assert set(payload) == set(_SETTLEMENT_FIELDS)
    assert payload["rate"] == str(settlement.rate) and payload["mark"] == str(settlement.mark)
    topic = settlement_topic(settlement)
    assert topic == f"funding.rate.{settlement.exchange}.{settlement.category.value}.{settlement.symbol}"
    assert codec_for(topic) is SETTLEMENT


@given(
    settlements,
    st.sampled_from(
        [
            ("rate", 0.0001, "decimal string"),
            ("mark", 60000.5, "decimal string"),
            ("rate", "Infinity", "finite"),
            ("mark", "0", "mark price must be positive"),
            ("mark", "-1", "mark price must be positive"),
            ("ts_ns", "1", "ts_ns must be an integer"),
            ("ts_ns", True, "ts_ns must be an integer"),
            ("category", "option", "option"),
            ("funding_id", "", "funding_id must not be empty"),
        ]
    ),
)
def test_a_malformed_settlement_is_poison_naming_the_field(
    settlement: FundingSettlement, broken: tuple[str, Any, str]
) -> None:
    name, value, named = broken
    with pytest.raises(MalformedPayload, match=named) as raised:
        SETTLEMENT.decode({**SETTLEMENT.encode(settlement), name: value})
    assert raised.value.kind == "funding.rate"


@given(settlements, st.sampled_from(_SETTLEMENT_FIELDS))
def test_a_settlement_missing_a_field_is_poison_naming_it(settlement: FundingSettlement, missing: str) -> None:
    payload = {k: v for k, v in SETTLEMENT.encode(settlement).items() if k != missing}
    with pytest.raises(MalformedPayload, match=f"missing field '{missing}'"):
        SETTLEMENT.decode(payload)
