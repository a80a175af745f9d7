"""The latent fair value: reproducible, fat-tailed, volatility that clusters, a bounded perp basis."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.domain.simulation.fair_value import AssetParams, BasisParams, FairValueModel
from tradewind.domain.simulation.stats import return_stats

NS = 1_000_000_000
MINUTE = 60 * NS


def model(seed: int, **params: float) -> FairValueModel:
    return FairValueModel(
        {"BTC": AssetParams(initial_price=65_000.0, **params)},
        {"spot": ("BTC", None), "perp": ("BTC", BasisParams(mean_bp=1.0, std_bp=4.0, half_life_s=1_200.0))},
        seed,
        0,
    )


def path(m: FairValueModel, minutes: int, key: str = "spot") -> np.ndarray:
    prices = []
    for i in range(1, minutes + 1):
        m.advance(i * MINUTE)
        prices.append(m.price(key))
    return np.array(prices)


def test_same_seed_gives_the_same_path_and_another_seed_another() -> None:
    assert path(model(5), 500).tolist() == path(model(5), 500).tolist()
    assert path(model(5), 500).tolist() != path(model(6), 500).tolist()


def test_an_asset_path_does_not_depend_on_which_other_markets_exist() -> None:
    alone = FairValueModel({"BTC": AssetParams(initial_price=65_000.0)}, {"spot": ("BTC", None)}, 9, 0)
    with_eth = FairValueModel(
        {"BTC": AssetParams(initial_price=65_000.0), "ETH": AssetParams(initial_price=3_000.0)},
        {"spot": ("BTC", None), "eth": ("ETH", None)},
        9,
        0,
    )
    assert path(alone, 200).tolist() == path(with_eth, 200).tolist()


def test_one_minute_returns_have_fat_tails_and_clustered_volatility() -> None:
    returns = np.diff(np.log(path(model(11), 20 * 1_440)))  # 20 days of minutes
    stats = return_stats(returns, max_lag=10)
    assert stats.excess_kurtosis > 1.0
    assert all(v > stats.acf_band for v in stats.acf_abs_returns)  # positive at every lag 1..10
    assert max(abs(v) for v in stats.acf_returns) < 0.05
    assert stats.std == pytest.approx(0.0007, rel=0.5)


def test_without_stochastic_volatility_or_jumps_returns_are_normal() -> None:
    flat = model(12, fast_vol_std=0.0, slow_vol_std=0.0, jumps_per_day=0.0)
    returns = np.diff(np.log(path(flat, 20 * 1_440)))
    stats = return_stats(returns)
    assert abs(stats.excess_kurtosis) < 0.2
    assert stats.std == pytest.approx(0.0007, rel=0.05)


def test_the_perp_basis_mean_reverts_within_a_few_basis_points() -> None:
    m = model(13)
    basis = []
    for i in range(1, 5 * 1_440 + 1):
        m.advance(i * MINUTE)
        basis.append((m.price("perp") / m.price("spot") - 1.0) * 1e4)
        assert m.basis_bp("perp") == pytest.approx(basis[-1], abs=1e-6)
    b = np.array(basis)
    assert abs(b.mean() - 1.0) < 2.0
    assert 2.0 < b.std() < 6.0
    assert np.abs(b).max() < 30.0
    assert (b > 0).any() and (b < 0).any()  # the spread opens both ways and closes


def test_net_buying_pushes_the_fair_value_up() -> None:
    m = model(14, impact_per_million=0.001)
    before = m.price("spot")
    m.asset_of("spot").apply_impact(2_000_000.0)
    assert m.price("spot") / before == pytest.approx(np.exp(0.002))


def test_time_never_goes_back() -> None:
    m = model(15)
    m.advance(10 * NS)
    with pytest.raises(ValueError, match="back in time"):
        m.advance(5 * NS)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"initial_price": 0.0}, "initial_price"),
        ({"initial_price": 1.0, "vol_per_minute": -1.0}, "volatility"),
        ({"initial_price": 1.0, "market_correlation": 1.5}, "market_correlation"),
        ({"initial_price": 1.0, "jumps_per_day": -1.0}, "jump"),
    ],
)
def test_bad_asset_parameters_are_refused(params: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AssetParams(**params)


def test_a_market_on_an_unknown_asset_is_refused() -> None:
    with pytest.raises(ValueError, match="ETH"):
        FairValueModel({"BTC": AssetParams(initial_price=1.0)}, {"eth": ("ETH", None)}, 1, 0)
