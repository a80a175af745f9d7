"""The ``sim_exchange.binance`` settings: on by default, frozen, bad values and unknown keys refused."""

import pytest
from pydantic import ValidationError

from tradewind.interfaces.sim_exchange import SimExchangeSettings
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings


def test_the_binance_face_is_on_by_default_with_binances_weight_limit() -> None:
    settings = SimExchangeSettings()
    assert settings.binance == BinanceSpotSettings()
    assert (settings.binance.enabled, settings.binance.weight_limit, settings.binance.weight_window_ms) == (
        True,
        6000,
        60_000,
    )
    assert (settings.binance.depth_interval_ms, settings.binance.fast_depth_interval_ms) == (1000, 100)


def test_it_is_read_from_the_sim_exchange_section() -> None:
    settings = SimExchangeSettings.model_validate({"binance": {"enabled": False, "weight_limit": 1200}})
    assert (settings.binance.enabled, settings.binance.weight_limit) == (False, 1200)


@pytest.mark.parametrize(
    "section",
    [
        {"weight_limit": 0},
        {"fast_depth_interval_ms": 0},
        {"ping_interval_s": 0},
        {"max_streams": 0},
        {"weightlimit": 5},
    ],
)
def test_bad_values_and_unknown_keys_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SimExchangeSettings.model_validate({"binance": section})


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        BinanceSpotSettings().weight_limit = 1  # type: ignore[misc]
