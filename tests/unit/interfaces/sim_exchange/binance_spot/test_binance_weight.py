"""Request weight over a rolling window: counted per caller, refused past the limit without being counted."""

from tradewind.interfaces.sim_exchange.binance_spot.weight import WeightMeter


def test_weight_adds_up_per_caller_and_frees_as_the_window_rolls() -> None:
    meter = WeightMeter(limit=10, window_ms=60_000)
    assert meter.charge("a", 4, 0).used == 4
    assert meter.charge("b", 9, 0).used == 9  # another caller has its own budget
    assert meter.charge("a", 6, 30_000).used == 10
    refused = meter.charge("a", 1, 30_001)
    assert (refused.allowed, refused.used, refused.retry_after_ms) == (False, 10, 29_999)
    assert meter.used("a", 59_999) == 10  # the refused request was not counted
    assert meter.charge("a", 4, 60_000).used == 10  # the first 4 left the window at 60 000
    assert meter.used("a", 90_000) == 4


def test_a_request_heavier_than_the_whole_limit_is_refused_with_no_retry_time() -> None:
    meter = WeightMeter(limit=5, window_ms=1000)
    decision = meter.charge("a", 6, 0)
    assert (decision.allowed, decision.used, decision.retry_after_ms) == (False, 0, 0)
