"""Codecs of the published event kinds: market data (``md.trade``, ``md.mid``, ``md.book``) and ``order.event``."""

from __future__ import annotations

from tradewind.application.messages.codec import Codec
from tradewind.domain.market import (
    BookSnapshot,
    MidPrice,
    TradeTick,
    book_from_payload,
    book_to_payload,
    mid_from_payload,
    mid_to_payload,
    trade_from_payload,
    trade_to_payload,
)
from tradewind.domain.order_events import ORDER_TOPIC, OrderUpdate, order_update_from_payload, order_update_to_payload

TRADE: Codec[TradeTick] = Codec("md.trade", trade_to_payload, trade_from_payload)
MID: Codec[MidPrice] = Codec("md.mid", mid_to_payload, mid_from_payload)
BOOK: Codec[BookSnapshot] = Codec("md.book", book_to_payload, book_from_payload)
ORDER_EVENT: Codec[OrderUpdate] = Codec(ORDER_TOPIC, order_update_to_payload, order_update_from_payload)
