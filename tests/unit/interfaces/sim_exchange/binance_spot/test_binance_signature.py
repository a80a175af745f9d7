"""Binance HMAC signing: Binance's own reference vectors, the query + body concatenation, the time window."""

import pytest

from tradewind.interfaces.sim_exchange.binance_spot.auth import (
    SignedRequest,
    sign_query,
    total_params,
    verify,
    without_signature,
)
from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code
from tradewind.interfaces.sim_exchange.binance_spot.params import Params

# Binance's documented example key pair and request (SIGNED endpoint examples).
KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
NOW = 1_499_827_319_559
QUERY_ONLY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
QUERY_ONLY_SIGN = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
MIXED_QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
MIXED_BODY = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
MIXED_SIGN = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


def secrets(key: str) -> bytes | None:
    return SECRET.encode() if key == KEY else None


def _check(query: str, body: str = "", *, key: str | None = KEY, now: int = NOW) -> str:
    req = SignedRequest(key, query, body.encode())
    return verify(req, Params.parse(query, body.encode()), secrets, now)


def _code(query: str, body: str = "", **kw: object) -> tuple[int, str, int]:
    with pytest.raises(BinanceError) as info:
        _check(query, body, **kw)  # type: ignore[arg-type]
    return int(info.value.code), info.value.message, info.value.http_status


def test_reference_vectors_of_binance_docs() -> None:
    assert sign_query(SECRET, QUERY_ONLY) == f"{QUERY_ONLY}&signature={QUERY_ONLY_SIGN}"
    assert _check(f"{QUERY_ONLY}&signature={QUERY_ONLY_SIGN}") == KEY
    # query string followed by the body, with no separator between them
    assert _check(MIXED_QUERY, f"{MIXED_BODY}&signature={MIXED_SIGN}") == KEY
    assert _check(f"{MIXED_QUERY}&signature={MIXED_SIGN}", MIXED_BODY) == KEY


def test_the_signature_pair_is_left_out_wherever_it_is() -> None:
    assert without_signature("a=1&signature=x&b=2") == "a=1&b=2"
    assert total_params(SignedRequest(KEY, "a=1&signature=x", b"b=2")) == b"a=1b=2"


def test_reordered_or_altered_params_fail_the_signature() -> None:
    reordered = QUERY_ONLY.replace("side=BUY&type=LIMIT", "type=LIMIT&side=BUY")
    assert _code(f"{reordered}&signature={QUERY_ONLY_SIGN}")[:2] == (
        Code.INVALID_SIGNATURE,
        "Signature for this request is not valid.",
    )
    altered = QUERY_ONLY.replace("quantity=1", "quantity=2")
    assert _code(f"{altered}&signature={QUERY_ONLY_SIGN}")[0] == Code.INVALID_SIGNATURE


def test_key_problems_are_401() -> None:
    assert _code(f"{QUERY_ONLY}&signature={QUERY_ONLY_SIGN}", key=None) == (
        Code.BAD_API_KEY_FMT,
        "API-key format invalid.",
        401,
    )
    assert _code(f"{QUERY_ONLY}&signature={QUERY_ONLY_SIGN}", key="other")[::2] == (Code.REJECTED_MBX_KEY, 401)


def test_missing_timestamp_or_signature_is_named() -> None:
    code, msg, status = _code("symbol=LTCBTC&signature=00")
    assert (code, status) == (Code.MANDATORY_PARAM, 400)
    assert "'timestamp'" in msg
    code, msg, _ = _code(QUERY_ONLY)
    assert code == Code.MANDATORY_PARAM and "'signature'" in msg


@pytest.mark.parametrize(
    ("now", "message"),
    [
        (NOW - 1000, "Timestamp for this request was 1000ms ahead of the server's time."),
        (NOW + 5001, "Timestamp for this request is outside of the recvWindow."),
    ],
)
def test_timestamp_outside_the_window_is_1021(now: int, message: str) -> None:
    assert _code(f"{QUERY_ONLY}&signature={QUERY_ONLY_SIGN}", now=now)[:2] == (Code.INVALID_TIMESTAMP, message)


def test_timestamp_at_the_edges_of_the_window_passes() -> None:
    signed = f"{QUERY_ONLY}&signature={QUERY_ONLY_SIGN}"
    assert _check(signed, now=NOW + 5000) == KEY  # recvWindow=5000 behind
    assert _check(signed, now=NOW - 999) == KEY  # 999 ms ahead


def test_recv_window_above_60000_is_1131() -> None:
    query = "timestamp=1499827319559&recvWindow=60001"
    assert _code(sign_query(SECRET, query))[:2] == (Code.BAD_RECV_WINDOW, "recvWindow must be less than 60000")
    assert _check(sign_query(SECRET, "timestamp=1499827319559&recvWindow=60000"), now=NOW + 60_000) == KEY
