"""The statistics behind the stylised-facts report agree with known distributions and processes."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.domain.simulation.stats import acf, excess_kurtosis, log_returns, return_stats, sample_on_grid


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
