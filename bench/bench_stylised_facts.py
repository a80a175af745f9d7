"""Realism metrics of the simulated market (Vyetrenko et al. 2019, "Get Real"), over seeds, spot and perpetual.

Run: ``.venv/bin/python -m bench.bench_stylised_facts`` (5 seeds; per seed one simulated day at 2 s steps for
returns and volumes, and 60 minutes at the service's live 100 ms step for the book and the order flow), or
``--fast`` (2 seeds, 6 hours and 15 minutes). Every figure is printed as the mean, the standard deviation and the
range over the seeds, beside the target it is judged against:

* returns: excess kurtosis of 1, 5, 15 and 30-minute returns, the Hill tail index of absolute one-minute returns,
  the autocorrelation of returns and of absolute returns (volatility clustering), and the correlation of volume
  with volatility per minute;
* book: share of steps with a one-tick spread, median spread, the depth of the first ten levels from the touch;
* order flow (per taker order): sign autocorrelation at lags 1..100 and whether it decays slower than an
  exponential, the lag-1 autocorrelation of the price changes between taker orders (bid-ask bounce), the Hill tail
  index of order sizes, the cancellation ratio, the waiting time between taker orders, and spot / perp turnover.

The chart (matplotlib, Agg) goes to ``docs/img/stylised_facts.png`` (``--chart`` to change it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.domain.matching import OrderStatus
from tradewind.domain.simulation.stats import (
    FlowStats,
    Spread,
    TakerOrder,
    acf,
    coefficient_of_variation,
    flow_stats,
    hill_tail_index,
    kurtosis_by_horizon,
    log_returns,
    over_seeds,
    sample_on_grid,
    volume_volatility_correlation,
)
from tradewind.domain.simulation.swarm import Swarm
from tradewind.domain.values import Side

NS = 1_000_000_000
START_NS = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z
SPOT, PERP = "spot:BTCUSDT", "linear:BTCUSDT"
MARKETS = (SPOT, PERP)
HORIZONS_MIN = (1, 5, 15, 30)
BOOK_LEVELS = 10
CHART = Path(__file__).resolve().parents[1] / "docs" / "img" / "stylised_facts.png"


@dataclass
class ReturnFacts:
    """One seed's one-day figures of one market."""

    kurtosis: tuple[float, ...]  # by horizon
    return_tail: float
    acf_r: np.ndarray  # lags 1..10 minutes
    acf_abs: np.ndarray
    volume_volatility: float
    turnover: float  # quote notional per day


@dataclass
class FlowFacts:
    """One seed's live-step figures of one market."""

    flow: FlowStats
    one_tick: float
    median_spread: float
    book_shape: np.ndarray  # mean lots at levels 1..BOOK_LEVELS from the touch, both sides, normalised to level 1
    cancel_ratio: float  # cancels per submitted limit order
    gap_mean_s: float
    gap_cv: float
    sizes: np.ndarray
    spreads: np.ndarray


@dataclass
class SeedRun:
    seed: int
    returns: dict[str, ReturnFacts] = field(default_factory=dict)
    flow: dict[str, FlowFacts] = field(default_factory=dict)
    cpu_long_s: float = 0.0
    cpu_live_s: float = 0.0
    live_steps: int = 0
    live_operations: int = 0


def long_run(settings: SimulatorSettings, hours: float, step_ms: int, run: SeedRun) -> None:
    """Mids and traded notional per step at a coarse step: one-minute returns and volumes."""
    swarm = Swarm(settings.swarm_config(), START_NS)
    steps = round(hours * 3_600_000 / step_ms)
    times: list[int] = []
    mids: dict[str, list[float]] = {k: [] for k in MARKETS}
    volume: dict[str, list[float]] = {k: [] for k in MARKETS}
    cpu = time.process_time()
    for i in range(1, steps + 1):
        now = START_NS + i * step_ms * 1_000_000
        result = swarm.step(now)
        times.append(now)
        for step in result:
            engine = swarm.markets[step.key].engine
            tick, lot = float(engine.instrument.tick_size), float(engine.instrument.qty_step)
            traded = sum(f.price * f.qty for r in step.reports for f in r.fills) * tick * lot
            volume[step.key].append(traded)
            bid, ask = engine.best_bid(), engine.best_ask()
            series = mids[step.key]
            series.append(tick * (bid + ask) / 2 if bid is not None and ask is not None else series[-1])
    run.cpu_long_s = time.process_time() - cpu
    minute = 60 * NS
    for key in MARKETS:
        prices = sample_on_grid(times, mids[key], minute)
        r = log_returns(prices)
        per_minute = np.add.reduceat(np.array(volume[key]), np.arange(0, len(times), minute // (step_ms * 10**6)))
        v = per_minute[: r.size]
        run.returns[key] = ReturnFacts(
            kurtosis=kurtosis_by_horizon(np.log(prices), HORIZONS_MIN),
            return_tail=hill_tail_index(np.abs(r[r != 0.0]), 0.05),
            acf_r=acf(r, 10),
            acf_abs=acf(np.abs(r), 10),
            volume_volatility=volume_volatility_correlation(v, r),
            turnover=float(np.sum(volume[key])) * 24.0 / hours,
        )


def live_run(settings: SimulatorSettings, minutes: float, run: SeedRun) -> None:
    """The live 100 ms step: spreads, book shape, and every taker order's sign, size and price."""
    swarm = Swarm(settings.swarm_config(), START_NS)
    step_ns = settings.step_interval_ms * 1_000_000
    steps, warm_up = round(minutes * 60 * NS / step_ns), round(60 * NS / step_ns)
    per_second = max(1, NS // step_ns)
    spreads: dict[str, list[int]] = {k: [] for k in MARKETS}
    shape: dict[str, list[np.ndarray]] = {k: [] for k in MARKETS}
    takers: dict[str, list[TakerOrder]] = {k: [] for k in MARKETS}
    limits = dict.fromkeys(MARKETS, 0)
    cancels = dict.fromkeys(MARKETS, 0)
    cpu = 0.0
    for i in range(1, steps + 1):
        now = START_NS + i * step_ns
        started = time.process_time()
        result = swarm.step(now)
        cpu += time.process_time() - started
        if i <= warm_up:
            continue
        run.live_steps += 1
        for step in result:
            run.live_operations += len(step.reports)
            engine = swarm.markets[step.key].engine
            for r in step.reports:
                if r.fills and r.fills[0].taker_order_id == r.order_id:
                    taker = r.fills[0].taker_side
                    lots = sum(f.qty for f in r.fills)
                    sign = 1 if taker is Side.BUY else -1
                    takers[step.key].append(TakerOrder(sign, lots, r.fills[-1].price, now))
                if r.status is OrderStatus.CANCELLED and not r.fills:
                    cancels[step.key] += 1
                elif r.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED) and r.leaves > 0 and r.filled == 0:
                    limits[step.key] += 1
            bid, ask = engine.best_bid(), engine.best_ask()
            if bid is not None and ask is not None:
                spreads[step.key].append(ask - bid)
            if i % per_second == 0:
                snap = engine.snapshot(BOOK_LEVELS)
                if len(snap.bids) == len(snap.asks) == BOOK_LEVELS:
                    shape[step.key].append(np.array([q for _, q in snap.bids]) + np.array([q for _, q in snap.asks]))
    run.cpu_live_s = cpu
    for key in MARKETS:
        orders = takers[key]
        gaps = np.diff(np.array([o.ts for o in orders], dtype=np.float64)) / NS
        sp = np.array(spreads[key])
        mean_shape = np.mean(shape[key], axis=0)
        run.flow[key] = FlowFacts(
            flow=flow_stats(orders, 100),
            one_tick=float(np.mean(sp == 1)),
            median_spread=float(np.median(sp)),
            book_shape=mean_shape / mean_shape[0],
            cancel_ratio=cancels[key] / max(1, limits[key]),
            gap_mean_s=float(gaps.mean()),
            gap_cv=coefficient_of_variation(gaps),
            sizes=np.array([o.lots for o in orders], dtype=np.float64) * float(engine_lot(swarm, key)),
            spreads=sp,
        )


def engine_lot(swarm: Swarm, key: str) -> float:
    return float(swarm.markets[key].engine.instrument.qty_step)


@dataclass(frozen=True)
class Metric:
    """A row of the table: how to read it from a seed's run, its target, and whether a value meets it."""

    name: str
    read: Callable[[SeedRun, str], float]
    target: str
    met: Callable[[Spread], bool] | None = None
    markets: tuple[str, ...] = MARKETS
    fmt: str = "{:.3f}"


def _k(i: int) -> Callable[[SeedRun, str], float]:
    return lambda run, key: run.returns[key].kurtosis[i]


METRICS: tuple[Metric, ...] = (
    *(
        Metric(f"excess kurtosis, {h}-min returns", _k(i), "> 0, falling with horizon", lambda s: s.low > 0)
        for i, h in enumerate(HORIZONS_MIN)
    ),
    Metric(
        "tail index of |1-min returns| (Hill, top 5 %)",
        lambda r, k: r.returns[k].return_tail,
        "2-5 (cubic law ~3)",
        lambda s: 2.0 <= s.mean <= 5.0,
    ),
    Metric(
        "max |ACF| of 1-min returns, lags 1-10",
        lambda r, k: float(np.abs(r.returns[k].acf_r).max()),
        "< 0.075 (no linear memory: 95 % bound of the largest of 10 white-noise lags, 1 440 returns)",
        lambda s: s.high < 0.075,
    ),
    Metric(
        "ACF of |1-min returns|, lag 1",
        lambda r, k: float(r.returns[k].acf_abs[0]),
        "> 0.1 (clustering)",
        lambda s: s.low > 0.1,
    ),
    Metric(
        "ACF of |1-min returns|, lag 10",
        lambda r, k: float(r.returns[k].acf_abs[9]),
        "> 0.05, slow decay",
        lambda s: s.low > 0.05,
    ),
    Metric(
        "corr(volume, |return|) per minute",
        lambda r, k: r.returns[k].volume_volatility,
        "> 0.2 (positive)",
        lambda s: s.low > 0.2,
    ),
    Metric(
        "share of steps at a one-tick spread",
        lambda r, k: r.flow[k].one_tick,
        "perp >= 0.80",
        lambda s: s.low >= 0.80,
        (PERP,),
    ),
    Metric("share of steps at a one-tick spread (spot)", lambda r, k: r.flow[k].one_tick, "(no target)", None, (SPOT,)),
    Metric("median spread, ticks", lambda r, k: r.flow[k].median_spread, "1", lambda s: s.high <= 1.0, (PERP,)),
    Metric(
        "depth at level 5 / level 1 from the touch",
        lambda r, k: float(r.flow[k].book_shape[4]),
        "> 1 (humped, thin touch)",
        None,
    ),
    Metric("sign ACF per taker order, lag 1", lambda r, k: r.flow[k].flow.sign_acf[0], "> 0", lambda s: s.low > 0),
    Metric("sign ACF per taker order, lag 10", lambda r, k: r.flow[k].flow.sign_acf[9], "> 0", lambda s: s.low > 0),
    Metric("sign ACF per taker order, lag 100", lambda r, k: r.flow[k].flow.sign_acf[99], "> 0", lambda s: s.low > 0),
    Metric(
        "sign ACF lags 1-100: all positive",
        lambda r, k: float(min(r.flow[k].flow.sign_acf) > 0),
        "1 (all seeds)",
        lambda s: s.low == 1.0,
        fmt="{:.2f}",
    ),
    Metric(
        "sign ACF slower than exponential",
        lambda r, k: float(r.flow[k].flow.slower_than_exponential),
        "1 (all seeds)",
        lambda s: s.low == 1.0,
        fmt="{:.2f}",
    ),
    Metric(
        "sign ACF power-law exponent gamma", lambda r, k: r.flow[k].flow.sign_acf_exponent, "~0.5 (0.2-0.9 real)", None
    ),
    Metric(
        "lag-1 ACF of trade-price changes",
        lambda r, k: r.flow[k].flow.price_change_acf1,
        "< 0 (bid-ask bounce)",
        lambda s: s.high < 0,
    ),
    Metric(
        "trade-size tail index (Hill, top 5 %)",
        lambda r, k: r.flow[k].flow.size_tail_index,
        "1.3-2.5",
        lambda s: s.low >= 1.3 and s.high <= 2.5,
    ),
    Metric(
        "median taker order, base units",
        lambda r, k: float(np.median(r.flow[k].sizes)),
        "small prints",
        None,
        fmt="{:.4f}",
    ),
    Metric("cancellations per resting limit order", lambda r, k: r.flow[k].cancel_ratio, "(no target)", None),
    Metric("mean time between taker orders, s", lambda r, k: r.flow[k].gap_mean_s, "(no target)", None),
    Metric("CV of time between taker orders", lambda r, k: r.flow[k].gap_cv, "> 1 (bursty)", lambda s: s.mean > 1.0),
    Metric(
        "spot / perp turnover",
        lambda r, k: r.returns[SPOT].turnover / r.returns[PERP].turnover,
        "0.2 (configured)",
        lambda s: abs(s.mean - 0.2) < 0.06,
        (SPOT,),
    ),
)


def _cell(metric: Metric, spread: Spread) -> str:
    f = metric.fmt
    return f"{f.format(spread.mean)} ± {f.format(spread.std)} [{f.format(spread.low)}, {f.format(spread.high)}]"


def table(runs: Sequence[SeedRun]) -> list[str]:
    """Markdown rows: metric, spot, perp, target, verdict."""
    lines = ["| metric | spot | perp | target | met |", "| --- | --- | --- | --- | --- |"]
    for metric in METRICS:
        cells, verdicts = [], []
        for key in MARKETS:
            if key not in metric.markets:
                cells.append("")
                continue
            spread = over_seeds([metric.read(run, key) for run in runs])
            cells.append(_cell(metric, spread))
            if metric.met is not None:
                verdicts.append(
                    ("yes" if metric.met(spread) else "**no**")
                    + ("" if len(metric.markets) == 1 else f" ({key.split(':')[0]})")
                )
        lines.append(f"| {metric.name} | {cells[0]} | {cells[1]} | {metric.target} | {', '.join(verdicts)} |")
    return lines


def chart(runs: Sequence[SeedRun], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    lags = np.arange(1, 101)
    ax = axes[0, 0]
    for key, colour in ((SPOT, "tab:green"), (PERP, "tab:blue")):
        curves = np.array([run.flow[key].flow.sign_acf for run in runs])
        mean = curves.mean(axis=0)
        ax.plot(lags, np.clip(mean, 1e-4, None), color=colour, label=f"{key} (mean of {len(runs)} seeds)")
        ax.fill_between(
            lags,
            np.clip(curves.min(axis=0), 1e-4, None),
            np.clip(curves.max(axis=0), 1e-4, None),
            color=colour,
            alpha=0.2,
        )
    ax.plot(lags, 0.3 * lags**-0.5, "k--", lw=0.8, label="lag^-0.5 (Lillo-Farmer, alpha 1.5)")
    ax.set(xscale="log", yscale="log", title="trade-sign autocorrelation per taker order", xlabel="lag (orders)")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    for key, colour in ((SPOT, "tab:green"), (PERP, "tab:blue")):
        sizes = np.sort(np.concatenate([run.flow[key].sizes for run in runs]))[::-1]
        ccdf = np.arange(1, sizes.size + 1) / sizes.size
        ax.plot(sizes, ccdf, color=colour, label=key)
    ax.set(xscale="log", yscale="log", title="taker order size, P(size > x)", xlabel="BTC")
    ax.legend(fontsize=8)

    ax = axes[0, 2]
    bins = np.arange(0.5, 12.5)
    for key, colour in ((SPOT, "tab:green"), (PERP, "tab:blue")):
        sp = np.concatenate([run.flow[key].spreads for run in runs])
        ax.hist(np.clip(sp, 1, 11), bins=bins, density=True, alpha=0.5, color=colour, label=key)
    ax.set(title="spread at the 100 ms step", xlabel="ticks (11 = 11 or more)", ylabel="share of steps")
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    for key, colour in ((SPOT, "tab:green"), (PERP, "tab:blue")):
        k = np.array([run.returns[key].kurtosis for run in runs])
        ax.errorbar(HORIZONS_MIN, k.mean(axis=0), yerr=k.std(axis=0), color=colour, marker="o", capsize=3, label=key)
    ax.axhline(0.0, color="black", lw=0.5)
    ax.set(xscale="log", title="excess kurtosis by horizon (mean ± std over seeds)", xlabel="minutes")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    ten = np.arange(1, 11)
    for key, colour in ((SPOT, "tab:green"), (PERP, "tab:blue")):
        a = np.array([run.returns[key].acf_abs for run in runs])
        r = np.array([run.returns[key].acf_r for run in runs])
        ax.plot(ten, a.mean(axis=0), color=colour, marker="o", label=f"|r| {key}")
        ax.plot(ten, r.mean(axis=0), color=colour, ls=":", marker=".", label=f"r {key}")
    ax.axhline(0.0, color="black", lw=0.5)
    ax.set(title="ACF of 1-min returns and |returns|", xlabel="lag (minutes)")
    ax.legend(fontsize=8)

    ax = axes[1, 2]
    levels = np.arange(1, BOOK_LEVELS + 1)
    for key, colour in ((SPOT, "tab:green"), (PERP, "tab:blue")):
        shape = np.array([run.flow[key].book_shape for run in runs])
        ax.plot(levels, shape.mean(axis=0), color=colour, marker="o", label=key)
    ax.set(title="book shape: depth by level from the touch (level 1 = 1)", xlabel="level")
    ax.legend(fontsize=8)

    fig.suptitle(f"Tradewind simulated BTCUSDT, default swarm, seeds {[r.seed for r in runs]}")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"chart: {out}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="2 seeds, 6 hours and 15 live minutes each")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="default 7 8 9 10 11")
    parser.add_argument("--hours", type=float, default=None, help="simulated hours of the long run (default 24)")
    parser.add_argument("--step-ms", type=int, default=2_000, help="step of the long run")
    parser.add_argument("--live-minutes", type=float, default=None, help="minutes at the 100 ms step (default 60)")
    parser.add_argument("--chart", type=Path, default=None, help=f"PNG path (default {CHART}; --fast: a temp file)")
    args = parser.parse_args(argv)
    seeds = args.seeds or ([7, 8] if args.fast else [7, 8, 9, 10, 11])
    hours = args.hours if args.hours is not None else (6.0 if args.fast else 24.0)
    live_minutes = args.live_minutes if args.live_minutes is not None else (15.0 if args.fast else 60.0)
    out = args.chart or (Path(tempfile.gettempdir()) / "stylised_facts_fast.png" if args.fast else CHART)
    base = SimulatorSettings()
    p = base.population
    print(
        f"seeds {seeds}; per market: {p.market_makers} makers, {p.noise_traders} noise, {p.meta_traders} meta-order, "
        f"{p.momentum_traders} momentum, {p.mean_reversion_traders} mean-reversion traders; spot flow ratio "
        f"{base.spot_flow_ratio}; {hours:g} h at {args.step_ms} ms and {live_minutes:g} min at "
        f"{base.step_interval_ms} ms per seed"
    )
    runs = []
    for seed in seeds:
        settings = SimulatorSettings(seed=seed)
        run = SeedRun(seed)
        long_run(settings, hours, args.step_ms, run)
        live_run(settings, live_minutes, run)
        live_s = run.live_steps * settings.step_interval_ms / 1_000
        print(
            f"  seed {seed}: long run {run.cpu_long_s:.0f} s CPU ({hours * 3_600 / run.cpu_long_s:,.0f}x real time), "
            f"live {run.cpu_live_s:.1f} s CPU ({live_s / run.cpu_live_s:,.0f}x real time, "
            f"{run.live_operations / run.cpu_live_s:,.0f} engine operations per CPU second, "
            f"{run.live_operations / live_s:,.0f} per simulated second); "
            f"taker orders {len(run.flow[SPOT].sizes)} spot, {len(run.flow[PERP].sizes)} perp",
            flush=True,
        )
        runs.append(run)
    print()
    print("\n".join(table(runs)))
    chart(runs, out)


if __name__ == "__main__":
    main()
