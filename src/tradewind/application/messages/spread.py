"""Codecs of the spread workflow: ``rpc.orders`` (order -> ACK/NACK), ``rpc.spreads`` (the trading engine's book),
the ``funding.payment`` events (an account's funding) and the ``funding.rate`` events (a perpetual's settlement)."""

from __future__ import annotations

from tradewind.application.messages.codec import Call, Codec
from tradewind.domain.spread.orders import (
    FundingPayment,
    FundingSettlement,
    SpreadBook,
    SpreadOrder,
    SpreadQuery,
    SpreadReply,
    book_from_payload,
    book_to_payload,
    funding_from_payload,
    funding_to_payload,
    order_from_payload,
    order_to_payload,
    query_from_payload,
    query_to_payload,
    reply_from_payload,
    reply_to_payload,
    settlement_from_payload,
    settlement_to_payload,
)

FUNDING_KIND = "funding.payment"
SETTLEMENT_KIND = "funding.rate"

SPREAD_ORDER: Codec[SpreadOrder] = Codec("rpc.orders", order_to_payload, order_from_payload)
SPREAD_REPLY: Codec[SpreadReply] = Codec("rpc.orders.reply", reply_to_payload, reply_from_payload)
ORDERS_CALL: Call[SpreadOrder, SpreadReply] = Call("rpc.orders", SPREAD_ORDER, SPREAD_REPLY)
SPREADS_CALL: Call[SpreadQuery, SpreadBook] = Call(
    "rpc.spreads",
    Codec("rpc.spreads", query_to_payload, query_from_payload),
    Codec("rpc.spreads.reply", book_to_payload, book_from_payload),
)
FUNDING: Codec[FundingPayment] = Codec(FUNDING_KIND, funding_to_payload, funding_from_payload)
SETTLEMENT: Codec[FundingSettlement] = Codec(SETTLEMENT_KIND, settlement_to_payload, settlement_from_payload)


def funding_topic(payment: FundingPayment) -> str:
    return f"{FUNDING_KIND}.{payment.exchange}.{payment.category.value}.{payment.symbol}"


def settlement_topic(settlement: FundingSettlement) -> str:
    return f"{SETTLEMENT_KIND}.{settlement.exchange}.{settlement.category.value}.{settlement.symbol}"
