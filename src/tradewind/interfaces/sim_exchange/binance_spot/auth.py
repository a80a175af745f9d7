"""Binance request signing: HMAC-SHA256 of the total params (query string, then body, without ``signature``)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code, mandatory
from tradewind.interfaces.sim_exchange.binance_spot.params import Params
from tradewind.interfaces.sim_exchange.replay import ReplayGuard

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000
MAX_AHEAD_MS = 1000  # Binance refuses a timestamp 1 s or more ahead of its clock


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The ``X-MBX-APIKEY`` header and the raw query string and body as received."""

    api_key: str | None
    raw_query: str
    body: bytes


def signature(secret: bytes, total_params: bytes) -> str:
    return hmac.new(secret, total_params, hashlib.sha256).hexdigest()


def without_signature(raw: str) -> str:
    """``raw`` (a query string or form body) with its ``signature`` pair taken out, the rest byte for byte."""
    return "&".join(pair for pair in raw.split("&") if pair.partition("=")[0] != "signature")


def total_params(req: SignedRequest) -> bytes:
    """What the client signed: the query string followed by the body, as Binance documents."""
    return (without_signature(req.raw_query) + without_signature(req.body.decode(errors="replace"))).encode()


def sign_query(secret: str, query: str) -> str:
    """``query`` with ``&signature=...`` appended, the way a client signs it (used by tests)."""
    return f"{query}&signature={signature(secret.encode(), query.encode())}"


def check_key(api_key: str | None, secret_of: Callable[[str], bytes | None]) -> bytes:
    """The key's secret; a missing or unknown key is refused with -2014 / -2015."""
    if not api_key:
        raise BinanceError(Code.BAD_API_KEY_FMT, "the X-MBX-APIKEY header is missing or empty")
    secret = secret_of(api_key)
    if secret is None:
        raise BinanceError(Code.REJECTED_MBX_KEY, f"unknown API key {api_key!r}")
    return secret


def verify(
    req: SignedRequest,
    params: Params,
    secret_of: Callable[[str], bytes | None],
    now_ms: int,
    replay: ReplayGuard | None = None,
) -> str:
    """Return the API key if the request is authentic and on time; raise BinanceError otherwise.

    With ``replay``, a signature already used while its window is still open is -1021 too.
    """
    secret = check_key(req.api_key, secret_of)
    assert req.api_key is not None
    ts = params.integer("timestamp", lo=0, hi=2**63 - 1, required=True)
    assert ts is not None
    recv_window = params.integer("recvWindow", lo=0, hi=2**63 - 1)
    if recv_window is None:
        recv_window = DEFAULT_RECV_WINDOW
    elif recv_window > MAX_RECV_WINDOW or recv_window == 0:
        raise BinanceError(Code.BAD_RECV_WINDOW, f"recvWindow must be 1..{MAX_RECV_WINDOW}, got {recv_window}")
    if ts >= now_ms + MAX_AHEAD_MS:
        raise BinanceError(
            Code.INVALID_TIMESTAMP,
            f"timestamp {ts} is {ts - now_ms} ms ahead of the server time {now_ms}",
            message="Timestamp for this request was 1000ms ahead of the server's time.",
        )
    if now_ms - ts > recv_window:
        raise BinanceError(
            Code.INVALID_TIMESTAMP,
            f"timestamp {ts} is {now_ms - ts} ms behind the server time {now_ms}; recvWindow is {recv_window}",
        )
    sent = params.text("signature")
    if not sent:
        raise mandatory("signature")
    expected = signature(secret, total_params(req))
    if not hmac.compare_digest(expected, sent.lower()):
        raise BinanceError(Code.INVALID_SIGNATURE, "the HMAC-SHA256 of the query string followed by the body differs")
    if replay is not None and not replay.first_use(req.api_key, sent.lower(), ts + recv_window, now_ms):
        raise BinanceError(
            Code.INVALID_TIMESTAMP, f"duplicate request: this signature was already used (timestamp {ts}); sign anew"
        )
    return req.api_key
