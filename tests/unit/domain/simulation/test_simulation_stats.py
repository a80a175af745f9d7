"""The statistics behind the stylised-facts report agree with known distributions and processes."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.domain.simulation.stats import (
    TakerOrder,
    acf,
    coefficient_of_variation,
    excess_kurtosis,
    flow_stats,
    hill_tail_index,
    kurtosis_by_horizon,
    log_returns,
    over_seeds,
    power_law_exponent,
    return_stats,
    sample_on_grid,
    slower_than_exponential,
    volume_volatility_correlation,
)


def test_normal_sample_has_no_excess_kurtosis() -> None:
    x = np.random.default_rng(1).normal(size=200_000)
    assert abs(excess_kurtosis(x)) < 0.05


def test_laplace_sample_has_excess_kurtosis_of_three() -> None:
    x = np.random.default_rng(2).laplace(size=400_000)
    assert excess_kurtosis(x) == pytest.approx(3.0, abs=0.15)


def test_acf_of_an_ar1_process_decays_geometrically() -> None:
    rng = np.random.default_rng(3)
    x = np.zeros(200_000)
    for i in range(1, x.size):  # phi = 0.6
        x[i] = 0.6 * x[i - 1] + rng.normal()
    assert acf(x, 3) == pytest.approx([0.6, 0.36, 0.216], abs=0.01)


def test_acf_of_white_noise_stays_inside_its_band() -> None:
    stats = return_stats(np.random.default_rng(4).normal(size=10_000), max_lag=10)
    assert max(abs(v) for v in stats.acf_returns) < 2 * stats.acf_band
    assert stats.count == 10_000


def test_sampling_on_a_grid_takes_the_last_value_at_or_before_each_time() -> None:
    times = [0, 4, 10, 11, 25]
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert sample_on_grid(times, values, 10).tolist() == [1.0, 3.0, 4.0]


def test_log_returns_of_prices() -> None:
    assert log_returns([100.0, 110.0, 99.0]) == pytest.approx([np.log(1.1), np.log(0.9)])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: excess_kurtosis([1.0, 2.0]), "at least 4"),
        (lambda: excess_kurtosis([1.0] * 10), "constant"),
        (lambda: acf([1.0, 2.0, 3.0], 3), "max_lag"),
        (lambda: sample_on_grid([0, 1], [1.0], 10), "differ in length"),
        (lambda: sample_on_grid([0], [1.0], 0), "interval_ns"),
        (lambda: log_returns([1.0, 0.0]), "positive"),
    ],
)
def test_bad_input_gets_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_hill_estimates_the_tail_index_of_a_pareto_sample() -> None:
    x = np.random.default_rng(5).pareto(1.5, size=200_000) + 1.0  # P(X > x) = x^-1.5 for x >= 1
    assert hill_tail_index(x, 0.05) == pytest.approx(1.5, rel=0.05)


def test_hill_sees_a_thin_tail_as_a_large_index() -> None:
    assert hill_tail_index(np.abs(np.random.default_rng(6).normal(size=100_000)) + 1.0) > 4.0


def test_power_law_exponent_of_an_exact_power_law() -> None:
    lags = np.arange(1, 101)
    assert power_law_exponent(lags, 0.3 * lags**-0.5) == pytest.approx(0.5)


def _split_parent_signs(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    """Lillo-Mike-Farmer: parents of Pareto(alpha) lengths, their children interleaved at random."""
    active: list[list[int]] = []  # [sign, children left]
    out = np.empty(n)
    for i in range(n):
        while len(active) < 4:
            active.append([int(rng.choice([-1, 1])), int(rng.pareto(alpha) + 1.0)])
        j = int(rng.integers(len(active)))
        out[i] = active[j][0]
        active[j][1] -= 1
        if active[j][1] == 0:
            active.pop(j)
    return out


def test_signs_of_split_parent_orders_have_long_memory() -> None:
    signs = _split_parent_signs(np.random.default_rng(7), 60_000, 1.5)
    rho = acf(signs, 100)
    assert (rho > 0).all()
    assert slower_than_exponential(rho, signs.size)
    assert 0.2 < power_law_exponent(np.arange(1, 101), rho) < 1.0  # theory: alpha - 1 = 0.5


def test_markov_signs_decay_exponentially() -> None:
    rng = np.random.default_rng(8)
    flips = rng.random(200_000) < 0.2  # rho(lag) = 0.6 ** lag
    signs = np.where(np.cumsum(flips) % 2 == 0, 1.0, -1.0)
    rho = acf(signs, 100)
    assert rho[0] == pytest.approx(0.6, abs=0.02)
    assert not slower_than_exponential(rho, signs.size)


def test_roll_model_bounce_gives_lag_one_autocorrelation_of_minus_a_half() -> None:
    rng = np.random.default_rng(9)
    signs = rng.choice([-1, 1], size=20_000)
    sizes = rng.lognormal(3.0, 1.0, size=signs.size).astype(int) + 1
    orders = [TakerOrder(int(s), int(n), 1_000 + int(s), i) for i, (s, n) in enumerate(zip(signs, sizes, strict=True))]
    stats = flow_stats(orders)
    assert stats.price_change_acf1 == pytest.approx(-0.5, abs=0.02)
    assert max(abs(v) for v in stats.sign_acf) < 0.02
    assert not stats.slower_than_exponential


def test_kurtosis_by_horizon_falls_for_fat_tailed_iid_returns() -> None:
    r = np.random.default_rng(10).standard_t(5, size=400_000)
    k1, k10, k100 = kurtosis_by_horizon(np.cumsum(r), [1, 10, 100])
    assert k1 > 3.0 and k1 > k10 > k100
    assert abs(k100) < 0.5


def test_volume_volatility_correlation_of_linked_and_unlinked_series() -> None:
    rng = np.random.default_rng(11)
    vol = rng.lognormal(size=50_000)
    assert volume_volatility_correlation(vol, vol * rng.choice([-1, 1], size=vol.size)) == pytest.approx(1.0)
    assert abs(volume_volatility_correlation(vol, rng.normal(size=vol.size))) < 0.03


def test_poisson_waiting_times_have_a_coefficient_of_variation_of_one() -> None:
    gaps = np.random.default_rng(12).exponential(3.0, size=200_000)
    assert coefficient_of_variation(gaps) == pytest.approx(1.0, abs=0.01)


def test_over_seeds_gives_mean_spread_and_range() -> None:
    s = over_seeds([1.0, 2.0, 3.0])
    assert (s.mean, s.low, s.high) == (2.0, 1.0, 3.0)
    assert s.std == pytest.approx(np.std([1.0, 2.0, 3.0]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: hill_tail_index([1.0] * 5), "at least 10"),
        (lambda: hill_tail_index([2.0] * 1_000), "flat"),
        (lambda: hill_tail_index([1.0] * 1_000, 1.5), "tail_fraction"),
        (lambda: power_law_exponent([1, 2, 3], [-1.0, 0.0, 1.0]), "3 positive"),
        (lambda: slower_than_exponential([0.1] * 10, 1_000), "1..100"),
        (lambda: volume_volatility_correlation([1.0, 2.0], [1.0, 2.0]), "at least 3"),
        (lambda: volume_volatility_correlation([1.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]), "constant"),
        (lambda: coefficient_of_variation([1.0]), "at least 2"),
        (lambda: over_seeds([]), "at least one"),
    ],
)
def test_bad_input_to_the_realism_metrics_gets_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
