"""TWAP on the simulated clock: how long a one-hour, 60-slice job takes, and its slippage over seeded markets.

Run: ``.venv/bin/python -m bench.bench_twap`` (about 2 CPU minutes) or ``--runs 3`` for a quick look.

* **speed**: a one-hour, 60-slice market-order job against the in-process venue (SimGateway, SQLite
  on tmpfs, in-memory bus, SimClock): wall and CPU seconds, on a resting book (the TWAP machinery
  alone) and with the trader swarm stepping (what a test with a moving market pays);
* **slippage**: buy 1 BTC over 1 h in 60 slices against the swarm (seeds 1..N, BTCUSDT spot only,
  one swarm step per ``--step-ms`` of clock time, mids recorded by the MarketDataRecorder), the
  execution report's slippage against the market TWAP over the job's window and against the arrival
  price: mean, standard deviation, min and max in bps. One run's chart goes to ``docs/img/twap_report.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pydantic import SecretStr

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.simulator.settings import MarketSettings, SimulatorSettings
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.application.twap.settings import TwapSettings
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import ExecutionReport
from tradewind.domain.twap.spec import TwapSpec
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.interfaces.render.chart import write_chart

CHART = Path(__file__).resolve().parents[1] / "docs" / "img" / "twap_report.png"
WARM_UP_S = 300  # swarm time before the job starts, so the book and the price process are established
_ACCOUNTS = ("trader", "maker")


@dataclass
class System:
    """One TWAP system over one venue; ``simulator`` is None on a resting book."""

    clock: SimClock
    venue: SimVenue
    service: TwapService
    scheduler: TwapScheduler
    ordering: TwapOrdering
    repo: SqlTwapRepository
    simulator: MarketSimulatorService | None
    recorder: MarketDataRecorder | None

    async def run_to_end(self, job_id: str, timeout_s: float = 120.0) -> TwapJob:
        """Advance the clock to each wake-up the TWAP services wait for (the swarm steps on the way) until it ends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        last_read = 0.0
        while True:
            assert loop.time() < deadline, f"job {job_id} did not end within {timeout_s} s"
            waits = [w for w in (self.scheduler.wake_ns, self.ordering.wake_ns) if w is not None]
            quiet = bool(waits) and not self.ordering.busy  # every slice in hand sleeps on the clock
            if quiet or loop.time() - last_read > 0.05:  # the job is read when every service waits on the clock
                last_read = loop.time()
                job = await self.repo.get_job(job_id)  # type: ignore[arg-type]
                assert job is not None
                if job.status.is_final:
                    return job
            if quiet:
                await self.advance_to(max(min(waits), self.clock.now_ns()))
            else:
                await asyncio.sleep(0.0005)

    async def advance_to(self, target_ns: int) -> None:
        """Move the clock to ``target_ns`` one swarm step at a time, each step run before the clock moves on."""
        if self.simulator is None:
            await self.clock.advance_to(target_ns)
            return
        step_ns = self.simulator.settings.step_interval_ms * 1_000_000
        while self.clock.now_ns() < target_ns:
            now = min(target_ns, self.clock.now_ns() + step_ns)
            await self.clock.advance_to(now)
            await self.simulator.step_until(now)


def _venue(clock: SimClock, engines: list[MatchingEngine]) -> SimVenue:
    balances = {"USDT": Decimal(100_000_000), "BTC": Decimal(1_000)}
    accounts = tuple(
        AccountSettings(api_key=name, api_secret=SecretStr(f"{name}-secret"), balances=dict(balances))
        for name in _ACCOUNTS
    )
    return SimVenue(engines, clock, VenueSettings(accounts=accounts))


def _rest_book(venue: SimVenue, mid: Decimal = Decimal(65_000)) -> None:
    """The maker rests 50 levels a side, 0.5 BTC each, 1 USDT apart: a job never runs out of book."""
    for i in range(1, 51):
        for side, price in ((Side.BUY, mid - i), (Side.SELL, mid + i)):
            venue.place_order("maker", OrderRequest(Category.SPOT, "BTCUSDT", side, OrderType.LIMIT, Decimal("0.5"),
                                                    price, TimeInForce.GTC))  # fmt: skip


@asynccontextmanager
async def system(folder: Path, *, seed: int | None, step_ms: int) -> AsyncIterator[System]:
    """A TWAP system on SQLite in ``folder``; with a ``seed`` the swarm trades BTCUSDT spot and mids are recorded."""
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    database = Database(f"sqlite:///{folder / f'twap-bench-{seed}-{time.monotonic_ns()}.db'}")
    database.upgrade()
    simulator = recorder = None
    if seed is None:
        venue = _venue(clock, [MatchingEngine(i) for i in default_instruments()])
        _rest_book(venue)
    else:
        settings = SimulatorSettings(
            seed=seed, step_interval_ms=step_ms, markets=(MarketSettings(category=Category.SPOT, symbol="BTCUSDT"),)
        )
        simulator = MarketSimulatorService(clock, bus, settings)
        venue = _venue(clock, simulator.engines())
        venue.add_report_listener(simulator.on_report)
        simulator.add_report_listener(venue.on_engine_report)
        recorder = MarketDataRecorder(bus, SqlMarketDataRepository(database), clock, RecorderSettings(kinds=("mid",)))
        await recorder.start()
    repo = SqlTwapRepository(database)
    journal = JobJournal(SqlLogRepository(database), clock)
    gateways = {"sim": SimGateway(venue, "trader")}
    settings_twap = TwapSettings()
    scheduler = TwapScheduler(repo, bus, clock, journal, settings_twap)
    ordering = TwapOrdering(repo, gateways, bus, clock, journal, settings_twap)
    market = SqlMarketDataRepository(database) if recorder is not None else None
    service = TwapService(repo, gateways, bus, clock, journal, market)
    await scheduler.start()
    await ordering.start()
    stop = asyncio.Event()
    # The swarm is stepped by System.advance_to, not its own clock loop: a loop woken by the SimClock falls
    # behind while a slice is stored and skips steps, so the market would stand still between slices.
    tasks = [asyncio.create_task(scheduler.run(stop))]
    try:
        yield System(clock, venue, service, scheduler, ordering, repo, simulator, recorder)
    finally:
        stop.set()
        for task in tasks:
            await task
        if recorder is not None:
            await recorder.stop()
        await ordering.close()
        await scheduler.close()
        await bus.close()
        database.dispose()
        for leftover in folder.glob(f"{Path(database.url.database or '').name}*"):  # noqa: ASYNC240
            leftover.unlink()


def hour_job(qty: str = "1") -> TwapSpec:
    return TwapSpec("sim", Category.SPOT, "BTCUSDT", Side.BUY, 3600, 60, quantity=Decimal(qty))


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float
    filled: Decimal
    total: Decimal


async def time_hour_job(folder: Path, *, seed: int | None, step_ms: int) -> Timed:
    async with system(folder, seed=seed, step_ms=step_ms) as s:
        if s.simulator is not None:
            await s.advance_to(s.clock.now_ns() + WARM_UP_S * 1_000_000_000)
        wall, cpu = time.perf_counter(), time.process_time()
        job = await s.service.create(hour_job("0.6003"), job_id="speed")
        done = await s.run_to_end(job.job_id)
        timed = Timed(time.perf_counter() - wall, time.process_time() - cpu, done.filled_qty, done.total_qty)
        fills = await s.repo.fills(job.job_id)
    assert done.filled_qty == done.total_qty == sum((f.qty for f in fills), Decimal(0)), done
    return timed


@dataclass(frozen=True)
class Run:
    seed: int
    report: ExecutionReport
    job: TwapJob


async def seeded_run(folder: Path, seed: int, step_ms: int, chart: Path | None) -> Run:
    async with system(folder, seed=seed, step_ms=step_ms) as s:
        await s.advance_to(s.clock.now_ns() + WARM_UP_S * 1_000_000_000)
        job = await s.service.create(hour_job(), job_id=f"seed{seed}")
        done = await s.run_to_end(job.job_id)
        assert s.recorder is not None
        await s.recorder.flush()
        report = await s.service.report(job.job_id)
        if chart is not None:
            write_chart(await s.service.show(job.job_id), report, chart)
    return Run(seed, report, done)


def _stats(values: list[float]) -> str:
    return (
        f"mean {statistics.fmean(values):+.2f}  sd {statistics.stdev(values):.2f}  "
        f"min {min(values):+.2f}  max {max(values):+.2f}"
    )


async def main(args: argparse.Namespace) -> None:
    folder = Path("/dev/shm") if os.path.isdir("/dev/shm") else Path(tempfile.gettempdir())  # noqa: ASYNC240
    print(f"SQLite in {folder}; Python {sys.version.split()[0]}; {os.cpu_count()} cores")
    print("speed: one-hour, 60-slice market-order job on the SimClock (wall s / CPU s)")
    for label, seed, repeat in (("resting book", None, args.repeat), (f"swarm stepping every {args.step_ms} ms", 1, 1)):
        runs = [await time_hour_job(folder, seed=seed, step_ms=args.step_ms) for _ in range(repeat)]
        best = min(runs, key=lambda t: t.wall_s)
        walls = ", ".join(f"{t.wall_s:.2f}" for t in runs)
        print(f"  {label:<30} best {best.wall_s:.2f} s wall / {best.cpu_s:.2f} s CPU  (runs: {walls})  "
              f"filled {best.filled}/{best.total}")  # fmt: skip

    print(f"slippage: buy 1 BTC over 1 h in 60 slices, seeds 1..{args.runs}, swarm step {args.step_ms} ms")
    cpu = time.process_time()
    results: list[Run] = []
    for seed in range(1, args.runs + 1):
        run = await seeded_run(folder, seed, args.step_ms, args.chart if seed == args.chart_seed else None)
        r = run.report
        results.append(run)
        print(f"  seed {seed:>2}: filled {r.filled_qty} avg {r.avg_price:.2f} twap {r.market_twap:.2f} "
              f"arrival {r.arrival_price} vs twap {r.slippage_vs_twap_bps:+} bps vs arrival "
              f"{r.slippage_vs_arrival_bps:+} bps fees {r.fees:.4f}")  # fmt: skip
    assert all(run.report.filled_qty == run.job.total_qty for run in results)
    vs_twap = [float(run.report.slippage_vs_twap_bps or 0) for run in results]
    vs_arrival = [float(run.report.slippage_vs_arrival_bps or 0) for run in results]
    print(f"  vs market TWAP (bps): {_stats(vs_twap)}")
    print(f"  vs arrival     (bps): {_stats(vs_arrival)}")
    print(
        f"  {len(results)} runs in {time.process_time() - cpu:.0f} s CPU; chart of seed {args.chart_seed}: {args.chart}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="seeded slippage runs (seeds 1..N)")
    parser.add_argument("--step-ms", type=int, default=1000, help="swarm step in clock milliseconds")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeats of the speed job")
    parser.add_argument("--chart", type=Path, default=CHART)
    parser.add_argument("--chart-seed", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
