"""Bybit V5 retCodes with Bybit's own messages, and the mapping of venue refusals onto them per category."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from tradewind.application.venue import RejectCode, VenueError
from tradewind.domain.values import Category


class RetCode(IntEnum):
    OK = 0
    PARAMS_ERROR = 10001
    TIMESTAMP = 10002
    INVALID_KEY = 10003
    BAD_SIGN = 10004
    PERMISSION_DENIED = 10005
    TOO_MANY_VISITS = 10006
    SERVER_ERROR = 10016
    ROUTE_NOT_FOUND = 10017
    ORDER_NOT_EXISTS = 110001
    BALANCE_INSUFFICIENT = 110004
    AB_NOT_ENOUGH = 110007
    ORDER_FINISHED = 110008
    REDUCE_ONLY_ZERO = 110017
    TOO_MANY_ACTIVE = 110020
    LEVERAGE_NOT_MODIFIED = 110043
    DUPLICATE_LINK_ID = 110072
    MIN_ORDER_VALUE = 110094
    SPOT_INVALID_SYMBOL = 170121
    SPOT_BAD_PARAM = 170130
    SPOT_BALANCE = 170131
    SPOT_PRICE_DECIMALS = 170134
    SPOT_QTY_TOO_LARGE = 170135
    SPOT_QTY_TOO_SMALL = 170136
    SPOT_QTY_DECIMALS = 170137
    SPOT_VALUE_TOO_SMALL = 170140
    SPOT_DUPLICATE_ID = 170141
    SPOT_AMOUNT_DECIMALS = 170148
    SPOT_ORDER_NOT_EXISTS = 170213
    SET_MARGIN_MODE_FAILED = 3400045


MESSAGES: dict[RetCode, str] = {
    RetCode.OK: "OK",
    RetCode.PARAMS_ERROR: "params error",
    RetCode.TIMESTAMP: "invalid request, please check your server timestamp or recv_window param",
    RetCode.INVALID_KEY: "API key is invalid.",
    RetCode.BAD_SIGN: "error sign!",
    RetCode.PERMISSION_DENIED: "Permission denied, please check your API key permissions.",
    RetCode.TOO_MANY_VISITS: "Too many visits!",
    RetCode.SERVER_ERROR: "Internal server error.",
    RetCode.ROUTE_NOT_FOUND: "route not found",
    RetCode.ORDER_NOT_EXISTS: "Order does not exist.",
    RetCode.BALANCE_INSUFFICIENT: "Insufficient wallet balance",
    RetCode.AB_NOT_ENOUGH: "ab not enough for new order",
    RetCode.ORDER_FINISHED: "The order has been completed or canceled.",
    RetCode.REDUCE_ONLY_ZERO: "current position is zero, cannot fix reduce-only order qty",
    RetCode.TOO_MANY_ACTIVE: "Not allowed to have more than 500 active orders.",
    RetCode.LEVERAGE_NOT_MODIFIED: "leverage not modified",
    RetCode.DUPLICATE_LINK_ID: "OrderLinkedID is duplicate",
    RetCode.MIN_ORDER_VALUE: "Order does not meet minimum order value",
    RetCode.SPOT_INVALID_SYMBOL: "Invalid symbol.",
    RetCode.SPOT_BAD_PARAM: "Data sent for paramter is not valid.",
    RetCode.SPOT_BALANCE: "Insufficient balance.",
    RetCode.SPOT_PRICE_DECIMALS: "Order price decimal too long.",
    RetCode.SPOT_QTY_TOO_LARGE: "Order quantity exceeded upper limit.",
    RetCode.SPOT_QTY_TOO_SMALL: "Order quantity lower than the minimum.",
    RetCode.SPOT_QTY_DECIMALS: "Order quantity has too many decimals.",
    RetCode.SPOT_VALUE_TOO_SMALL: "Order value exceeded lower limit.",
    RetCode.SPOT_DUPLICATE_ID: "Duplicate clientOrderId.",
    RetCode.SPOT_AMOUNT_DECIMALS: "Market order amount decimal too long.",
    RetCode.SPOT_ORDER_NOT_EXISTS: "Order does not exist.",
    RetCode.SET_MARGIN_MODE_FAILED: "Set margin mode failed",
}


class BybitError(Exception):
    """A refused request: the reply carries ``code``, Bybit's message and, in ``retExtInfo``, what was wrong."""

    def __init__(
        self,
        code: RetCode,
        detail: str = "",
        *,
        message: str | None = None,
        http_status: int = 200,
        result: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.result: Mapping[str, Any] = result or {}  # most refusals carry an empty result; a few say why in it
        self.message = message if message is not None else MESSAGES[code]
        self.detail = detail
        self.http_status = http_status
        super().__init__(f"{int(code)} {self.message}: {detail}" if detail else f"{int(code)} {self.message}")


def params_error(detail: str) -> BybitError:
    """10001 with the detail in the message too, as Bybit words its parameter errors (``params error: ...``)."""
    return BybitError(RetCode.PARAMS_ERROR, detail, message=f"params error: {detail}")


# (spot code, contract code) per venue refusal; None means "a params error with the venue's words".
_CODES: dict[RejectCode, tuple[RetCode | None, RetCode | None]] = {
    RejectCode.UNKNOWN_SYMBOL: (RetCode.SPOT_INVALID_SYMBOL, None),
    RejectCode.INVALID_PARAM: (None, None),
    RejectCode.PRICE_TICK: (RetCode.SPOT_PRICE_DECIMALS, None),
    RejectCode.QTY_STEP: (RetCode.SPOT_QTY_DECIMALS, None),
    RejectCode.QTY_TOO_SMALL: (RetCode.SPOT_QTY_TOO_SMALL, None),
    RejectCode.QTY_TOO_LARGE: (RetCode.SPOT_QTY_TOO_LARGE, None),
    RejectCode.AMOUNT_DECIMALS: (RetCode.SPOT_AMOUNT_DECIMALS, None),
    RejectCode.NOTIONAL_TOO_SMALL: (RetCode.SPOT_VALUE_TOO_SMALL, RetCode.MIN_ORDER_VALUE),
    RejectCode.INSUFFICIENT_BALANCE: (RetCode.SPOT_BALANCE, RetCode.AB_NOT_ENOUGH),
    RejectCode.DUPLICATE_LINK_ID: (RetCode.SPOT_DUPLICATE_ID, RetCode.DUPLICATE_LINK_ID),
    RejectCode.ORDER_NOT_FOUND: (RetCode.SPOT_ORDER_NOT_EXISTS, RetCode.ORDER_NOT_EXISTS),
    RejectCode.ORDER_FINISHED: (RetCode.SPOT_ORDER_NOT_EXISTS, RetCode.ORDER_FINISHED),
    RejectCode.REDUCE_ONLY_ZERO: (None, RetCode.REDUCE_ONLY_ZERO),
    RejectCode.NOT_MODIFIED: (None, None),
    RejectCode.LEVERAGE_NOT_MODIFIED: (None, RetCode.LEVERAGE_NOT_MODIFIED),
    RejectCode.ZERO_POSITION: (None, None),
    RejectCode.TPSL_INVALID: (None, None),
    RejectCode.TOO_MANY_ORDERS: (RetCode.TOO_MANY_ACTIVE, RetCode.TOO_MANY_ACTIVE),
    RejectCode.MARGIN_MODE_LOCKED: (None, RetCode.SET_MARGIN_MODE_FAILED),
}


def from_venue(error: VenueError) -> BybitError:
    """The retCode Bybit gives for this refusal in the error's category (spot codes are 170xxx)."""
    spot, contract = _CODES[error.code]
    code = spot if error.category is Category.SPOT else contract
    if code is None:
        return params_error(error.message)
    return BybitError(code, error.message)
