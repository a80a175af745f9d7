"""The simulated market looks like a market: tight spread, depth on both sides, spot and perp in step."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.domain.simulation.stats import log_returns, sample_on_grid
from tradewind.domain.simulation.swarm import Swarm

from .simulation_support import NS, PERP, SPOT, START_NS, Recording, btc_config, record

WARM_UP_STEPS = 300  # 30 s at 100 ms: makers have quoted, EMAs have a history


@pytest.fixture(scope="module")
def live_pace() -> Recording:
    """Two simulated minutes at the service's default 100 ms step."""
    return record(Swarm(btc_config(seed=21), START_NS), NS // 10, 1_200)


@pytest.fixture(scope="module")
def one_hour() -> Recording:
    """An hour at 2 s steps: enough one-minute returns to compare spot and perp."""
    return record(Swarm(btc_config(seed=22), START_NS), 2 * NS, 1_800)


@pytest.mark.parametrize("key", [SPOT, PERP])
def test_spread_stays_a_few_ticks_wide_most_of_the_time(live_pace: Recording, key: str) -> None:
    top = live_pace.top[key][WARM_UP_STEPS:]
    assert all(b is not None and a is not None and a > b for b, a in top)  # never empty, never crossed
    spreads = np.array([a - b for b, a in top])  # type: ignore[operator]
    assert np.median(spreads) <= 5
    assert np.mean(spreads <= 10) >= 0.9


@pytest.mark.parametrize("key", [SPOT, PERP])
def test_both_sides_have_depth_after_warm_up(live_pace: Recording, key: str) -> None:
    levels = np.array(live_pace.levels[key][WARM_UP_STEPS // 10 :])  # sampled every 10th step
    # A heavy-tailed taker order may sweep several levels for a moment; the makers refill the next step.
    assert levels.min() >= 5
    assert np.percentile(levels, 5, axis=0).min() >= 10
    assert np.median(levels, axis=0).min() >= 15


def test_the_swarm_trades_and_quotes_at_a_realistic_pace(live_pace: Recording) -> None:
    trades_per_s = len(live_pace.trade_lines) / (len(live_pace.times) / 10)
    assert 2.0 < trades_per_s < 500.0


def test_spot_and_perp_mids_stay_within_the_basis_bounds(one_hour: Recording) -> None:
    spot, perp = np.array(one_hour.top[SPOT], dtype=float), np.array(one_hour.top[PERP], dtype=float)
    basis_bp = (perp.mean(axis=1) / spot.mean(axis=1) - 1.0) * 1e4
    assert np.abs(basis_bp).max() < 30.0
    assert np.abs(basis_bp).mean() < 10.0


def test_spot_and_perp_returns_are_strongly_correlated(one_hour: Recording) -> None:
    minute = 60 * NS
    spot = log_returns(sample_on_grid(one_hour.times, one_hour.mids(SPOT), minute))
    perp = log_returns(sample_on_grid(one_hour.times, one_hour.mids(PERP), minute))
    assert spot.size >= 55
    assert np.corrcoef(spot, perp)[0, 1] > 0.8
