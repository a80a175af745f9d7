"""Order statuses and reject reasons of the matching engine; plain Python, shared by its compiled and pure builds."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Status of an order after an operation; the value is Bybit's spelling."""

    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"


class RejectReason(StrEnum):
    """Why the engine refused an operation; a rejected operation changes nothing."""

    NON_POSITIVE_QTY = "non_positive_qty"
    NON_POSITIVE_PRICE = "non_positive_price"
    MISSING_PRICE = "missing_price"
    PRICE_ON_MARKET_ORDER = "price_on_market_order"
    DUPLICATE_ORDER_ID = "duplicate_order_id"
    UNKNOWN_ORDER = "unknown_order"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    FOK_NOT_FILLABLE = "fok_not_fillable"
    NO_LIQUIDITY = "no_liquidity"
    ORDER_CLOSED = "order_closed"
    NOTHING_TO_AMEND = "nothing_to_amend"
