"""The trade desk's answer on the bus: a trade's own TP / SL pair and its close by the exchange round-trip exactly
through JSON text, and an answer from a desk before the pairs reads as a trade without one."""

from __future__ import annotations

import json
from decimal import Decimal

from tradewind.application.messages.trades import TRADE_ANSWER, TradeAnswer
from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, Side

D = Decimal
OPENED = Trade(
    7, "k", 1_000, "sim", Category.LINEAR, "BTCUSDT", Side.BUY, D("0.016"), TradeStatus.OPEN, {"stop_loss": D(1)},
    D("60010"), D("60010"), D("0.528088"), True, tp_order_id="", sl_order_id="sl-1",
)  # fmt: skip


def test_a_trade_closed_by_its_own_pair_round_trips() -> None:
    closed = OPENED.closed("stop_loss", D("59000.0"), D("0.5192"), 9_000, by_exchange=True)
    wire = json.loads(json.dumps(TRADE_ANSWER.encode(TradeAnswer((OPENED, closed)))))
    assert TRADE_ANSWER.decode(wire) == TradeAnswer((OPENED, closed))


def test_an_answer_without_the_pair_fields_reads_as_a_trade_without_a_pair() -> None:
    wire = TRADE_ANSWER.encode(TradeAnswer((OPENED,)))
    for name in ("tp_order_id", "sl_order_id", "closed_by_exchange"):
        del wire["trades"][0][name]
    (old,) = TRADE_ANSWER.decode(wire).trades
    assert (old.sl_order_id, old.closed_by_exchange, old.protection_orders.ids) == ("", False, ())


def test_a_trade_closed_in_parts_round_trips_and_one_from_before_parts_reads_as_closed_whole() -> None:
    part = OPENED.realised(D("0.010"), D("590.00"), D("0.3245"), missing=D("0.006"))
    closed = part.ended("stop_loss", 9_000, by_exchange=True)
    assert TRADE_ANSWER.decode(json.loads(json.dumps(TRADE_ANSWER.encode(TradeAnswer((part, closed)))))) == (
        TradeAnswer((part, closed))
    )
    whole = OPENED.closed("manual", D("59000.5"), D("0.5"), 9_000)
    wire = TRADE_ANSWER.encode(TradeAnswer((OPENED, whole)))
    for trade in wire["trades"]:
        for name in ("closed_qty", "close_value", "missing_qty"):
            del trade[name]
    (opened, old) = TRADE_ANSWER.decode(wire).trades
    assert (opened.closed_qty, opened.close_value) == (0, 0)
    assert (old.closed_qty, old.close_value, old.missing_qty, old.pnl()) == (
        D("0.016"), D("944.008"), 0, whole.pnl(),
    )  # fmt: skip
