"""Every topic kind's codec in one place: publishers, subscribers and the recorder look codecs up here.

A published topic's kind is its first two words (``md.trade.<exchange>.<category>.<symbol>`` -> ``md.trade``);
a request/reply topic is its own kind. The registry is in the application layer because its codecs raise the
bus's ``MalformedPayload`` (see ``codec.py``); the wire formats themselves are the domain's codec functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.application.messages.codec import Call, Codec, MalformedPayload, topic_kind
from tradewind.application.messages.commands import TRADE_COMMAND
from tradewind.application.messages.market import BOOK, MID, ORDER_EVENT, TRADE
from tradewind.application.messages.marketdata import BOOK_CALL, SUBSCRIBE_CALL, SUBSCRIPTIONS_CALL, UNSUBSCRIBE_CALL
from tradewind.application.messages.signals import CANDLE, SIGNAL
from tradewind.application.messages.spread import FUNDING, ORDERS_CALL, SETTLEMENT, SPREADS_CALL
from tradewind.application.messages.trade_events import DEAL_EVENT, TRADE_EVENT
from tradewind.application.messages.twap import JOB_COMMAND, SLICE_DONE, SLICE_DUE

CODECS: Mapping[str, Codec[Any]] = {
    codec.kind: codec
    for codec in (
        TRADE,
        MID,
        BOOK,
        CANDLE,
        ORDER_EVENT,
        JOB_COMMAND,
        SLICE_DUE,
        SLICE_DONE,
        TRADE_COMMAND,
        SIGNAL,
        FUNDING,
        SETTLEMENT,
        TRADE_EVENT,
        DEAL_EVENT,
    )
}
CALLS: Mapping[str, Call[Any, Any]] = {
    call.topic: call
    for call in (SUBSCRIBE_CALL, UNSUBSCRIBE_CALL, SUBSCRIPTIONS_CALL, BOOK_CALL, ORDERS_CALL, SPREADS_CALL)
}


def codec_for(topic: str) -> Codec[Any]:
    """The codec of a published topic's kind; MalformedPayload when no codec knows the kind."""
    codec = CODECS.get(topic_kind(topic))
    if codec is None:
        raise MalformedPayload(topic_kind(topic), f"no codec for kind {topic_kind(topic)!r}")
    return codec
