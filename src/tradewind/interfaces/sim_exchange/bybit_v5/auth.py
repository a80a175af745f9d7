"""Bybit V5 request signing: HMAC-SHA256 over timestamp + apiKey + recvWindow + the raw query or body."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode, params_error

DEFAULT_RECV_WINDOW = 5000
MAX_FUTURE_MS = 1000  # Bybit accepts a timestamp at most 1 s ahead of its clock


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


def verify(req: SignedRequest, secret_of: Callable[[str], bytes | None], now_ms: int) -> str:
    """Return the API key if the request is authentic and fresh; raise BybitError 10003 / 10002 / 10004."""
    if not req.api_key:
        raise BybitError(RetCode.INVALID_KEY, "missing X-BAPI-API-KEY header")
    secret = secret_of(req.api_key)
    if secret is None:
        raise BybitError(RetCode.INVALID_KEY, f"unknown api key {req.api_key}")
    if not req.timestamp or not req.timestamp.isdigit():
        raise BybitError(RetCode.TIMESTAMP, f"X-BAPI-TIMESTAMP must be epoch milliseconds, got {req.timestamp!r}")
    recv_window = DEFAULT_RECV_WINDOW
    if req.recv_window is not None:
        if not req.recv_window.isdigit() or int(req.recv_window) <= 0:
            raise params_error(f"X-BAPI-RECV-WINDOW must be a positive integer, got {req.recv_window!r}")
        recv_window = int(req.recv_window)
    ts = int(req.timestamp)
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
    return req.api_key
