"""Binance error codes with Binance's messages and HTTP statuses, and the mapping of venue refusals onto them."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from tradewind.application.venue import RejectCode, VenueError


class Code(IntEnum):
    UNKNOWN = -1000
    TOO_MANY_REQUESTS = -1003
    INVALID_MESSAGE = -1013
    UNSUPPORTED_OPERATION = -1020
    INVALID_TIMESTAMP = -1021
    INVALID_SIGNATURE = -1022
    ILLEGAL_CHARS = -1100
    TOO_MANY_PARAMETERS = -1101
    MANDATORY_PARAM = -1102
    UNREAD_PARAMETERS = -1104
    PARAM_NOT_REQUIRED = -1106
    BAD_PRECISION = -1111
    INVALID_TIF = -1115
    INVALID_ORDER_TYPE = -1116
    INVALID_SIDE = -1117
    INVALID_INTERVAL = -1120
    BAD_SYMBOL = -1121
    MORE_THAN_XX_HOURS = -1127
    BAD_PARAM_COMBINATION = -1128
    BAD_RECV_WINDOW = -1131
    NEW_ORDER_REJECTED = -2010
    CANCEL_REJECTED = -2011
    NO_SUCH_ORDER = -2013
    BAD_API_KEY_FMT = -2014
    REJECTED_MBX_KEY = -2015


MESSAGES: dict[Code, str] = {
    Code.UNKNOWN: "An unknown error occurred while processing the request.",
    Code.TOO_MANY_REQUESTS: "Too much request weight used.",
    Code.INVALID_MESSAGE: "Invalid message.",
    Code.UNSUPPORTED_OPERATION: "This operation is not supported.",
    Code.INVALID_TIMESTAMP: "Timestamp for this request is outside of the recvWindow.",
    Code.INVALID_SIGNATURE: "Signature for this request is not valid.",
    Code.ILLEGAL_CHARS: "Illegal characters found in a parameter.",
    Code.TOO_MANY_PARAMETERS: "Duplicate values for a parameter detected.",
    Code.MANDATORY_PARAM: "A mandatory parameter was not sent, was empty/null, or malformed.",
    Code.UNREAD_PARAMETERS: "Not all sent parameters were read.",
    Code.PARAM_NOT_REQUIRED: "A parameter was sent when not required.",
    Code.BAD_PRECISION: "Precision is over the maximum defined for this asset.",
    Code.INVALID_TIF: "Invalid timeInForce.",
    Code.INVALID_ORDER_TYPE: "Invalid orderType.",
    Code.INVALID_SIDE: "Invalid side.",
    Code.INVALID_INTERVAL: "Invalid interval.",
    Code.BAD_SYMBOL: "Invalid symbol.",
    Code.MORE_THAN_XX_HOURS: "More than 24 hours between startTime and endTime.",
    Code.BAD_PARAM_COMBINATION: "Combination of optional parameters invalid.",
    Code.BAD_RECV_WINDOW: "recvWindow must be less than 60000",
    Code.NEW_ORDER_REJECTED: "New order rejected.",
    Code.CANCEL_REJECTED: "Unknown order sent.",
    Code.NO_SUCH_ORDER: "Order does not exist.",
    Code.BAD_API_KEY_FMT: "API-key format invalid.",
    Code.REJECTED_MBX_KEY: "Invalid API-key, IP, or permissions for action.",
}

# Binance's fixed texts that clients (ccxt) match exactly to pick an exception class.
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
DUPLICATE_ORDER = "Duplicate order sent."
WOULD_TAKE = "Order would immediately match and take."

_HTTP_STATUS = {Code.TOO_MANY_REQUESTS: 429, Code.BAD_API_KEY_FMT: 401, Code.REJECTED_MBX_KEY: 401, Code.UNKNOWN: 500}


class BinanceError(Exception):
    """A refused request: ``{"code", "msg"}`` with Binance's text, plus ``detail`` saying exactly what was wrong."""

    def __init__(
        self,
        code: Code,
        detail: str = "",
        *,
        message: str | None = None,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message if message is not None else MESSAGES[code]
        self.detail = detail
        self.http_status = http_status if http_status is not None else _HTTP_STATUS.get(code, 400)
        self.headers = headers or {}
        super().__init__(f"{int(code)} {self.message}" + (f": {detail}" if detail else ""))

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": int(self.code), "msg": self.message}
        if self.detail and self.detail != self.message:
            body["detail"] = self.detail
        return body


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        Code.MANDATORY_PARAM, message=f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal(name: str, legal: str, detail: str = "") -> BinanceError:
    return BinanceError(
        Code.ILLEGAL_CHARS,
        detail,
        message=f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.",
    )


def not_required(name: str, detail: str = "") -> BinanceError:
    return BinanceError(Code.PARAM_NOT_REQUIRED, detail, message=f"Parameter '{name}' sent when not required.")


def filter_failure(filter_type: str, detail: str) -> BinanceError:
    return BinanceError(Code.INVALID_MESSAGE, detail, message=f"Filter failure: {filter_type}")


def rejected(message: str, detail: str = "") -> BinanceError:
    return BinanceError(Code.NEW_ORDER_REJECTED, detail, message=message)


_FILTERS = {
    RejectCode.PRICE_TICK: "PRICE_FILTER",
    RejectCode.QTY_STEP: "LOT_SIZE",
    RejectCode.QTY_TOO_SMALL: "LOT_SIZE",
    RejectCode.QTY_TOO_LARGE: "LOT_SIZE",
    RejectCode.NOTIONAL_TOO_SMALL: "NOTIONAL",
    RejectCode.TOO_MANY_ORDERS: "MAX_NUM_ORDERS",
}


def from_venue(error: VenueError, *, missing: Code = Code.NO_SUCH_ORDER) -> BinanceError:
    """The Binance answer to a venue refusal; ``missing`` is the code for an unknown or finished order."""
    code = error.code
    if code in _FILTERS:
        return filter_failure(_FILTERS[code], error.message)
    if code is RejectCode.UNKNOWN_SYMBOL:
        return BinanceError(Code.BAD_SYMBOL, error.message)
    if code is RejectCode.INSUFFICIENT_BALANCE:
        return rejected(INSUFFICIENT_BALANCE, error.message)
    if code is RejectCode.DUPLICATE_LINK_ID:
        return rejected(DUPLICATE_ORDER, error.message)
    if code is RejectCode.AMOUNT_DECIMALS:
        return BinanceError(Code.BAD_PRECISION, error.message)
    if code in (RejectCode.ORDER_NOT_FOUND, RejectCode.ORDER_FINISHED):
        return BinanceError(missing, error.message)
    return rejected(MESSAGES[Code.NEW_ORDER_REJECTED], error.message)
