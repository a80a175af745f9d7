"""Stylised facts of the simulated market: fat tails, volatility clustering, no linear memory, tight books.

Run: ``.venv/bin/python -m bench.bench_stylised_facts`` (about 3 simulated days, a few CPU minutes) or
``--fast`` (6 simulated hours). Two runs of the default BTC spot + perp swarm on a simulated clock:

* a long run at a coarse step (``--step-ms``, 2 s by default) for one-minute mid returns: their
  excess kurtosis, the ACF of returns and of absolute returns at lags 1..10, the spot/perp correlation
  and the basis;
* a short run at the service's live step (100 ms) for the spread, the depth and the pace of trading,
  and how much faster than real time the swarm runs.

The chart (matplotlib, Agg) goes to ``docs/img/stylised_facts.png`` (``--chart`` to change it).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.domain.simulation.stats import ReturnStats, log_returns, return_stats, sample_on_grid
from tradewind.domain.simulation.swarm import Swarm

NS = 1_000_000_000
START_NS = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z
SPOT, PERP = "spot:BTCUSDT", "linear:BTCUSDT"
CHART = Path(__file__).resolve().parents[1] / "docs" / "img" / "stylised_facts.png"


@dataclass
class MidPath:
    """Per-step mids (price units) of spot and perp and the latent fair value of spot."""

    times: list[int] = field(default_factory=list)
    spot: list[float] = field(default_factory=list)
    perp: list[float] = field(default_factory=list)
    fair: list[float] = field(default_factory=list)


def _mid(swarm: Swarm, key: str, last: list[float]) -> float:
    engine = swarm.markets[key].engine
    bid, ask = engine.best_bid(), engine.best_ask()
    if bid is None or ask is None:
        return last[-1]  # a side is empty for a moment: carry the last mid
    return float(engine.instrument.tick_size) * (bid + ask) / 2


def long_run(settings: SimulatorSettings, days: float, step_ms: int) -> tuple[MidPath, float]:
    swarm = Swarm(settings.swarm_config(), START_NS)
    path = MidPath()
    steps = round(days * 86_400_000 / step_ms)
    cpu = time.process_time()
    for i in range(1, steps + 1):
        now = START_NS + i * step_ms * 1_000_000
        swarm.step(now)
        path.times.append(now)
        path.spot.append(_mid(swarm, SPOT, path.spot))
        path.perp.append(_mid(swarm, PERP, path.perp))
        path.fair.append(swarm.fair_value.price(SPOT))
    return path, time.process_time() - cpu


@dataclass(frozen=True)
class LivePace:
    seconds: float
    cpu_s: float
    spreads: dict[str, np.ndarray]  # ticks, one per step after warm-up
    levels: dict[str, np.ndarray]  # (bid levels, ask levels) in the top 50, sampled each second
    near_depth: dict[str, np.ndarray]  # quote notional within 10 bp of the mid, (bids, asks), each second
    trades: int
    operations: int


def live_run(settings: SimulatorSettings, minutes: float) -> LivePace:
    swarm = Swarm(settings.swarm_config(), START_NS)
    step_ns = settings.step_interval_ms * 1_000_000
    steps, warm_up = round(minutes * 60 * NS / step_ns), round(60 * NS / step_ns)
    per_second = max(1, NS // step_ns)
    spreads: dict[str, list[int]] = {SPOT: [], PERP: []}
    levels: dict[str, list[tuple[int, int]]] = {SPOT: [], PERP: []}
    near: dict[str, list[tuple[float, float]]] = {SPOT: [], PERP: []}
    trades = operations = 0
    cpu = 0.0
    for i in range(1, steps + 1):
        started = time.process_time()
        result = swarm.step(START_NS + i * step_ns)
        cpu += time.process_time() - started
        if i <= warm_up:
            continue
        for step in result:
            operations += len(step.reports)
            trades += sum(len(r.fills) for r in step.reports)
            engine = swarm.markets[step.key].engine
            bid, ask = engine.best_bid(), engine.best_ask()
            if bid is not None and ask is not None:
                spreads[step.key].append(ask - bid)
            if i % per_second == 0:
                snap = engine.snapshot(None)
                levels[step.key].append((min(50, len(snap.bids)), min(50, len(snap.asks))))
                if bid is not None and ask is not None:
                    tick, lot = float(engine.instrument.tick_size), float(engine.instrument.qty_step)
                    mid, band = (bid + ask) / 2, (bid + ask) / 2 * 0.001
                    near[step.key].append(
                        (
                            sum(p * q for p, q in snap.bids if p >= mid - band) * tick * lot,
                            sum(p * q for p, q in snap.asks if p <= mid + band) * tick * lot,
                        )
                    )
    return LivePace(
        seconds=(steps - warm_up) * step_ns / NS,
        cpu_s=cpu,
        spreads={k: np.array(v) for k, v in spreads.items()},
        levels={k: np.array(v) for k, v in levels.items()},
        near_depth={k: np.array(v) for k, v in near.items()},
        trades=trades,
        operations=operations,
    )


def minute_returns(path: MidPath, series: Sequence[float]) -> np.ndarray:
    return log_returns(sample_on_grid(path.times, series, 60 * NS))


def _fmt(values: Sequence[float]) -> str:
    return " ".join(f"{v:+.3f}" for v in values)


def report(path: MidPath, cpu_s: float, days: float, step_ms: int, live: LivePace) -> dict[str, ReturnStats]:
    stats = {
        name: return_stats(minute_returns(path, series))
        for name, series in (("spot mid", path.spot), ("perp mid", path.perp), ("fair value", path.fair))
    }
    spot_r, perp_r = minute_returns(path, path.spot), minute_returns(path, path.perp)
    basis = (np.array(path.perp) / np.array(path.spot) - 1.0) * 1e4
    print(
        f"long run: {days:g} simulated days at {step_ms} ms steps, {cpu_s:.0f} s CPU "
        f"({days * 86_400 / cpu_s:,.0f}x real time)"
    )
    for name, s in stats.items():
        print(
            f"  {name:10s} n={s.count} std={s.std * 1e4:.2f} bp  excess kurtosis={s.excess_kurtosis:.2f}  "
            f"95% band=+-{s.acf_band:.3f}"
        )
        print(f"             ACF r   lags 1..10: {_fmt(s.acf_returns)}")
        print(f"             ACF |r| lags 1..10: {_fmt(s.acf_abs_returns)}")
    print(f"  spot/perp 1-min return correlation: {np.corrcoef(spot_r, perp_r)[0, 1]:.3f}")
    tracking = (np.array(path.spot) / np.array(path.fair) - 1.0) * 1e4
    print(
        f"  spot mid vs latent fair value: std {tracking.std():.3f} bp, p99 |gap| "
        f"{np.percentile(np.abs(tracking), 99):.3f} bp (the mid follows the fair value within a few ticks)"
    )
    print(
        f"  basis (perp/spot mid - 1): mean {basis.mean():+.2f} bp, std {basis.std():.2f} bp, "
        f"p1 {np.percentile(basis, 1):+.2f}, p99 {np.percentile(basis, 99):+.2f}, "
        f"share of time > 0: {np.mean(basis > 0):.0%}"
    )
    print(
        f"live pace: {live.seconds / 60:g} simulated minutes at 100 ms after a 1-minute warm-up, "
        f"{live.cpu_s:.1f} s CPU ({live.seconds / live.cpu_s:,.0f}x real time for 2 markets)"
    )
    print(
        f"  trades {live.trades / live.seconds:,.1f}/s, engine operations {live.operations / live.seconds:,.0f}/s "
        f"(both markets)"
    )
    for key in (SPOT, PERP):
        sp, lv, nd = live.spreads[key], live.levels[key], live.near_depth[key]
        print(
            f"  {key:15s} spread ticks: median {np.median(sp):.0f}, p90 {np.percentile(sp, 90):.0f}, "
            f"p99 {np.percentile(sp, 99):.0f}, <= 5 ticks {np.mean(sp <= 5):.1%}"
        )
        print(
            f"  {'':15s} levels in top 50 (bid/ask): median {np.median(lv[:, 0]):.0f}/{np.median(lv[:, 1]):.0f}, "
            f"min {lv[:, 0].min()}/{lv[:, 1].min()};  within 10 bp of mid: median "
            f"{np.median(nd[:, 0]):,.0f}/{np.median(nd[:, 1]):,.0f} USDT"
        )
    return stats


def chart(path: MidPath, stats: dict[str, ReturnStats], live: LivePace, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(12, 11))
    hours = (np.array(path.times) - path.times[0]) / 3.6e12
    ax = axes[0, 0]
    ax.plot(hours, path.spot, lw=0.6, label="spot mid")
    ax.plot(hours, path.perp, lw=0.6, alpha=0.7, label="perp mid")
    ax.set(title="BTCUSDT mid", xlabel="hours", ylabel="USDT")
    ax.legend()
    ax = axes[0, 1]
    basis = (np.array(path.perp) / np.array(path.spot) - 1.0) * 1e4
    ax.plot(hours, basis, lw=0.4, color="tab:purple")
    ax.axhline(0.0, color="black", lw=0.5)
    ax.set(title="perp basis over spot", xlabel="hours", ylabel="bp")

    r = minute_returns(path, path.spot)
    z = (r - r.mean()) / r.std()
    ax = axes[1, 0]
    bins = np.linspace(-8, 8, 121)
    ax.hist(z, bins=bins, density=True, alpha=0.6, label="1-min spot returns")
    grid = np.linspace(-8, 8, 400)
    ax.plot(grid, np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi), color="black", lw=1, label="normal")
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1)
    s = stats["spot mid"]
    ax.set(title=f"return distribution (excess kurtosis {s.excess_kurtosis:.1f})", xlabel="standardised return")
    ax.legend()
    ax = axes[1, 1]
    sp = live.spreads[SPOT]
    ax.hist(sp, bins=np.arange(0.5, np.percentile(sp, 99.9) + 1.5), density=True, color="tab:green")
    ax.set(title="spot spread at the 100 ms step", xlabel="ticks (0.1 USDT)", ylabel="share of steps")

    lags = np.arange(1, len(s.acf_returns) + 1)
    for ax, values, title in (
        (axes[2, 0], s.acf_returns, "ACF of 1-min returns"),
        (axes[2, 1], s.acf_abs_returns, "ACF of |1-min returns|"),
    ):
        ax.bar(lags, values, color="tab:blue")
        ax.axhspan(-s.acf_band, s.acf_band, color="grey", alpha=0.3, label="95% band (white noise)")
        ax.axhline(0.0, color="black", lw=0.5)
        ax.set(title=title, xlabel="lag (minutes)", xticks=lags, ylim=(-0.15, 0.45))
        ax.legend()
    fig.suptitle("Tradewind simulated market: BTCUSDT spot and perpetual, default swarm")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    print(f"chart: {out}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="6 simulated hours and 3 live minutes")
    parser.add_argument("--days", type=float, default=None, help="simulated days of the long run (default 3)")
    parser.add_argument("--step-ms", type=int, default=2_000, help="step of the long run")
    parser.add_argument("--live-minutes", type=float, default=None, help="minutes at the 100 ms step (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="default: the simulator's default seed")
    parser.add_argument("--chart", type=Path, default=None, help=f"PNG path (default {CHART}; --fast: a temp file)")
    args = parser.parse_args(argv)
    days = args.days if args.days is not None else (0.25 if args.fast else 3.0)
    live_minutes = args.live_minutes if args.live_minutes is not None else (3.0 if args.fast else 20.0)
    settings = SimulatorSettings() if args.seed is None else SimulatorSettings(seed=args.seed)
    out = args.chart or (Path(tempfile.gettempdir()) / "stylised_facts_fast.png" if args.fast else CHART)
    print(
        f"seed {settings.seed}; default population per market: {settings.population.market_makers} market makers, "
        f"{settings.population.noise_traders} noise, {settings.population.momentum_traders} momentum, "
        f"{settings.population.mean_reversion_traders} mean-reversion traders"
    )
    path, cpu_s = long_run(settings, days, args.step_ms)
    live = live_run(settings, live_minutes)
    stats = report(path, cpu_s, days, args.step_ms, live)
    chart(path, stats, live, out)


if __name__ == "__main__":
    main()
