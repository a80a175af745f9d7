"""Bybit V5 request signing: HMAC-SHA256 over timestamp + apiKey + recvWindow + the raw query or body."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from tradewind.domain.numbers import NumberError, parse_int
from tradewind.interfaces.sim_exchange.bybit_v5.errors import MESSAGES, BybitError, RetCode, params_error
from tradewind.interfaces.sim_exchange.replay import ReplayGuard

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000  # a longer window is refused (10001): a signed request must not stay valid for a year
MAX_FUTURE_MS = 1000  # Bybit accepts a timestamp at most 1 s ahead of its clock
_MAX_TIMESTAMP = 10**14  # epoch ms up to the year 5138: anything longer is not a timestamp


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The auth headers as received and the exact bytes signed (query string without ``?``, or body)."""

    api_key: str | None
    timestamp: str | None
    recv_window: str | None
    sign: str | None
    payload: bytes


def signature(secret: bytes, origin: bytes) -> str:
    return hmac.new(secret, origin, hashlib.sha256).hexdigest()


def origin_string(req: SignedRequest) -> bytes:
    recv = req.recv_window if req.recv_window is not None else ""
    return f"{req.timestamp}{req.api_key}{recv}".encode() + req.payload


def sign_request(
    secret: str, api_key: str, timestamp: int, payload: str, recv_window: int = DEFAULT_RECV_WINDOW
) -> str:
    """What a client sends as ``X-BAPI-SIGN`` (used by tests and the benchmark)."""
    return signature(secret.encode(), f"{timestamp}{api_key}{recv_window}{payload}".encode())


def verify(
    req: SignedRequest, secret_of: Callable[[str], bytes | None], now_ms: int, replay: ReplayGuard | None = None
) -> str:
    """Return the API key if the request is authentic and fresh; raise BybitError 10003 / 10002 / 10004 / 10001.

    With ``replay``, a signature already used while its window is still open is 10002 too.
    """
    if not req.api_key:
        raise BybitError(RetCode.INVALID_KEY, "missing X-BAPI-API-KEY header")
    secret = secret_of(req.api_key)
    if secret is None:
        raise BybitError(RetCode.INVALID_KEY, f"unknown api key {req.api_key}")
    ts = _digits(req.timestamp, "X-BAPI-TIMESTAMP", 0, _MAX_TIMESTAMP)
    if ts is None:
        raise BybitError(RetCode.TIMESTAMP, f"X-BAPI-TIMESTAMP must be epoch milliseconds, got {req.timestamp!r:.40}")
    recv_window = DEFAULT_RECV_WINDOW
    if req.recv_window is not None:
        window = _digits(req.recv_window, "X-BAPI-RECV-WINDOW", 1, MAX_RECV_WINDOW)
        if window is None:
            raise params_error(f"X-BAPI-RECV-WINDOW must be an integer from 1 to {MAX_RECV_WINDOW} ms")
        recv_window = window
    if not now_ms - recv_window <= ts < now_ms + MAX_FUTURE_MS:
        raise BybitError(
            RetCode.TIMESTAMP,
            f"timestamp {ts} is outside [{now_ms - recv_window}, {now_ms + MAX_FUTURE_MS})",
            message=(
                "invalid request, please check your server timestamp or recv_window param. "
                f"req_timestamp[{ts}],server_timestamp[{now_ms}],recv_window[{recv_window}]"
            ),
        )
    origin = origin_string(req)
    expected = signature(secret, origin)
    if not req.sign or not hmac.compare_digest(expected, req.sign.lower()):
        text = origin.decode(errors="replace")
        raise BybitError(
            RetCode.BAD_SIGN, "signature does not match the request", message=f"error sign! origin_string[{text}]"
        )
    if replay is not None and not replay.first_use(req.api_key, req.sign.lower(), ts + recv_window, now_ms):
        raise BybitError(
            RetCode.TIMESTAMP,
            f"this signature was already used; sign the request again with a new timestamp (ts {ts})",
            message=f"{MESSAGES[RetCode.TIMESTAMP]}. duplicate request: the same signature was already received",
        )
    return req.api_key


def _digits(raw: str | None, name: str, low: int, high: int) -> int | None:
    """A header of ASCII digits only (no sign, no exponent) as an int from ``low`` to ``high``, else None."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    try:
        return parse_int(raw, name, low=low, high=high)
    except NumberError:
        return None
