import pytest

from tradewind.interfaces.sim_exchange.bybit_v5.auth import SignedRequest, sign_request, signature, verify
from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode

NOW = 1_658_384_314_791
QUERY = "category=option&symbol=BTC-29JUL22-25000-C"
SIGN = "40859275f56d51d20069e2705fbaf6ddcbd87763bc10f7a8c15bbbf74f983af6"


def secrets(key: str) -> bytes | None:
    return b"SECRET" if key == "KEY" else None


def _req(**kw: object) -> SignedRequest:
    fields: dict[str, object] = {
        "api_key": "KEY",
        "timestamp": str(NOW),
        "recv_window": "5000",
        "sign": SIGN,
        "payload": QUERY.encode(),
    }
    fields.update(kw)
    return SignedRequest(**fields)  # type: ignore[arg-type]


def test_reference_vectors() -> None:
    assert sign_request("SECRET", "KEY", NOW, QUERY) == SIGN
    assert signature(b"SECRET", b"GET/realtime1662350400000") == (
        "6e7fcee084662c489eaa75b69136dccdf51fd177d87d587d720f623cb74b0258"
    )


def test_valid_request_returns_its_key() -> None:
    assert verify(_req(), secrets, NOW) == "KEY"


def test_signature_over_reordered_query_is_rejected() -> None:
    with pytest.raises(BybitError) as info:
        verify(_req(payload=b"symbol=BTC-29JUL22-25000-C&category=option"), secrets, NOW)
    assert info.value.code is RetCode.BAD_SIGN
    assert info.value.message.startswith("error sign! origin_string[1658384314791KEY5000symbol=")


def test_unknown_or_missing_key_is_10003() -> None:
    for key in ("OTHER", None):
        with pytest.raises(BybitError) as info:
            verify(_req(api_key=key), secrets, NOW)
        assert info.value.code is RetCode.INVALID_KEY


@pytest.mark.parametrize(
    ("now", "accepted"),
    [(NOW, True), (NOW + 5000, True), (NOW + 5001, False), (NOW - 999, True), (NOW - 1000, False)],
)
def test_time_window_is_now_minus_recv_window_to_now_plus_one_second(now: int, accepted: bool) -> None:
    if accepted:
        assert verify(_req(), secrets, now) == "KEY"
        return
    with pytest.raises(BybitError) as info:
        verify(_req(), secrets, now)
    assert info.value.code is RetCode.TIMESTAMP
    assert f"req_timestamp[{NOW}],server_timestamp[{now}],recv_window[5000]" in info.value.message


def test_missing_recv_window_defaults_to_5000_and_is_not_signed() -> None:
    sign = signature(b"SECRET", f"{NOW}KEY".encode() + QUERY.encode())
    assert verify(_req(recv_window=None, sign=sign), secrets, NOW + 4999) == "KEY"


def test_non_numeric_timestamp_is_10002_and_bad_recv_window_is_10001() -> None:
    with pytest.raises(BybitError) as info:
        verify(_req(timestamp="soon"), secrets, NOW)
    assert info.value.code is RetCode.TIMESTAMP
    with pytest.raises(BybitError) as info:
        verify(_req(recv_window="-5"), secrets, NOW)
    assert info.value.code is RetCode.PARAMS_ERROR
