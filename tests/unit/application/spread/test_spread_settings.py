"""The ``spread:`` settings: a safe default, and a bad value refused in one line naming the key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.settings import ConfigError, load_settings


def test_the_default_is_simulated_on_btc() -> None:
    spread = load_settings(None).spread
    assert (spread.enabled, spread.mode, spread.matching_keys) == (True, "simulated", ("BTCUSDT",))
    assert spread.fees(*(c for c in spread.fees_bps)).round_trip_bps == 2 * (Decimal(10) + Decimal("5.5"))


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"mode": "paper"}, "spread.mode"),
        ({"open_bps": "0"}, "spread.open_bps"),
        ({"fees_bps": {"spot": "-1"}}, "fees_bps.spot"),
        ({"max_round_trips": 0}, "spread.max_round_trips"),
        ({"thresholds": 1}, "spread.thresholds: unknown key"),
    ],
)
def test_a_bad_value_is_refused_naming_it(override: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")) as refused:
        load_settings(None, spread=override)
    assert "\n" not in str(refused.value)
