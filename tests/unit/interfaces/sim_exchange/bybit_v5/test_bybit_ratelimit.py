import pytest
from pydantic import ValidationError

from tradewind.interfaces.sim_exchange import SimExchangeSettings
from tradewind.interfaces.sim_exchange.bybit_v5 import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.ratelimit import RateLimiter


def test_calls_over_the_limit_in_one_window_are_refused_until_it_rolls() -> None:
    limiter = RateLimiter({"/v5/order/create": 2}, default_limit=50)
    first = limiter.hit("k", "/v5/order/create", 1000)
    second = limiter.hit("k", "/v5/order/create", 1500)
    third = limiter.hit("k", "/v5/order/create", 1999)
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining, third.reset_ms) == (False, 0, 2000)
    assert limiter.hit("k", "/v5/order/create", 2000).allowed  # the first call left the window


def test_keys_and_endpoints_have_separate_windows() -> None:
    limiter = RateLimiter({"/v5/order/create": 1}, default_limit=1)
    assert limiter.hit("a", "/v5/order/create", 0).allowed
    assert limiter.hit("b", "/v5/order/create", 0).allowed
    assert limiter.hit("a", "/v5/order/cancel", 0).allowed
    assert not limiter.hit("a", "/v5/order/create", 0).allowed


def test_category_specific_limit_wins_over_the_path_limit() -> None:
    limiter = RateLimiter({"/v5/order/create": 10, "/v5/order/create:spot": 20}, default_limit=50)
    assert limiter.bucket("/v5/order/create", "spot") == "/v5/order/create:spot"
    assert limiter.bucket("/v5/order/create", "linear") == "/v5/order/create"
    assert limiter.limit_of(limiter.bucket("/v5/execution/list", None)) == 50


def test_refused_call_is_not_counted() -> None:
    limiter = RateLimiter({"/p": 1}, default_limit=1, window_ms=100)
    limiter.hit("k", "/p", 0)
    for t in range(1, 100):
        assert not limiter.hit("k", "/p", t).allowed
    assert limiter.hit("k", "/p", 100).allowed


def test_headers_carry_limit_status_and_reset() -> None:
    decision = RateLimiter({"/p": 5}, default_limit=1).hit("k", "/p", 42)
    assert decision.headers() == {
        "X-Bapi-Limit": "5",
        "X-Bapi-Limit-Status": "4",
        "X-Bapi-Limit-Reset-Timestamp": "1042",
    }


def test_rate_limits_must_name_v5_paths_and_be_positive() -> None:
    with pytest.raises(ValidationError, match="/v5/"):
        RateLimitSettings(limits={"order/create": 5})
    with pytest.raises(ValidationError, match=">= 1"):
        RateLimitSettings(limits={"/v5/order/create": 0})
    with pytest.raises(ValidationError, match="port"):
        SimExchangeSettings(port=70_000)
