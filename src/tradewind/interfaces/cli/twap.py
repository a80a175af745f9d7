"""``tradewind twap ...``: create, list, show, pause, resume, cancel, watch, report and run TWAP jobs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.twap.service import JobNotFound, JobTransitionError, TwapSpecError
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpec, slices_for
from tradewind.domain.values import Category, Side
from tradewind.interfaces.cli.twap_render import job_json, jobs_table, report_json, view_tables, write_chart
from tradewind.settings import ConfigError, Settings, load_settings

twap_app = typer.Typer(help="TWAP execution: slice an order over time.", no_args_is_help=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file")]
T = TypeVar("T")


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _with_system(config: Path | None, work: Callable[..., Awaitable[T]], *, execute: bool = False) -> T:
    from tradewind.bootstrap import build_twap

    async def main() -> T:
        system = build_twap(_settings(config), execute=execute)
        await system.start()
        try:
            return await work(system)
        finally:
            await system.stop()

    try:
        return asyncio.run(main())
    except (TwapSpecError, JobNotFound, JobTransitionError, ExchangeError) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _decimal(value: str | None, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        typer.secho(f"{what} must be a number, got {value!r}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


@twap_app.command()
def create(  # noqa: PLR0917 - one parameter per command-line option
    side: Annotated[Side, typer.Argument(help="Buy or Sell", case_sensitive=False)],
    symbol: Annotated[str, typer.Argument(help="e.g. BTCUSDT")],
    qty: Annotated[str | None, typer.Option(help="Total size in base currency")] = None,
    notional: Annotated[str | None, typer.Option(help="Total size in quote currency instead")] = None,
    runtime: Annotated[int, typer.Option(help="Runtime in seconds")] = 3600,
    interval: Annotated[int | None, typer.Option(help="Seconds between slices")] = None,
    slices: Annotated[int | None, typer.Option(help="Number of slices instead of an interval")] = None,
    limit: Annotated[str | None, typer.Option(help="Price limit: a buy never pays above, a sell never below")] = None,
    on_limit: Annotated[LimitPolicy, typer.Option(help="stop the job or skip the slice")] = LimitPolicy.STOP,
    catch_up: Annotated[CatchUpPolicy, typer.Option(help="after downtime: catch_up or skip")] = CatchUpPolicy.CATCH_UP,
    style: Annotated[OrderStyle, typer.Option(help="market, marketable_limit or passive_limit")] = OrderStyle.MARKET,
    slippage_bps: Annotated[str, typer.Option(help="Marketable limit: max bps through the touch")] = "50",
    size_jitter: Annotated[str, typer.Option(help="Slice size randomisation, fraction in [0, 1)")] = "0",
    time_jitter: Annotated[str, typer.Option(help="Slice time randomisation, fraction in [0, 1)")] = "0",
    seed: Annotated[int, typer.Option(help="Seed of the randomisation")] = 0,
    exchange: Annotated[str | None, typer.Option(help="Exchange entry (default: exchanges.default)")] = None,
    category: Annotated[Category, typer.Option(help="spot or linear")] = Category.SPOT,
    job_id: Annotated[str | None, typer.Option("--id", help="Job id (default: random)")] = None,
    allow_insufficient: Annotated[
        bool, typer.Option("--allow-insufficient", help="Start even if the free balance cannot cover the whole job")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Create a TWAP job; `tradewind twap run` executes it."""
    try:
        count = slices_for(runtime, interval_s=interval, slices=slices if interval is None or slices else None)
    except TwapSpecError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    spec = TwapSpec(
        exchange or _settings(config).exchanges.default, category, symbol.upper(), side, runtime, count,
        quantity=_decimal(qty, "--qty"), notional=_decimal(notional, "--notional"),
        limit_price=_decimal(limit, "--limit"),
        limit_policy=on_limit, catch_up=catch_up, order_style=style,
        max_slippage_bps=_decimal(slippage_bps, "--slippage-bps") or Decimal(50),
        size_jitter=_decimal(size_jitter, "--size-jitter") or Decimal(0),
        time_jitter=_decimal(time_jitter, "--time-jitter") or Decimal(0), seed=seed,
        allow_insufficient=allow_insufficient,
    )  # fmt: skip
    job = _with_system(config, lambda s: s.service.create(spec, job_id))
    typer.echo(f"created TWAP job {job.job_id}: {side.value} {job.total_qty} {spec.symbol} in {count} slices")


@twap_app.command("list")
def list_jobs(config: ConfigOption = None) -> None:
    """Every TWAP job with its progress."""
    Console().print(jobs_table(_with_system(config, lambda s: s.service.list())))


@twap_app.command()
def show(job_id: str, config: ConfigOption = None) -> None:
    """A job, its slices and its decision log."""
    view = _with_system(config, lambda s: s.service.show(job_id))
    console = Console()
    console.print_json(json.dumps(job_json(view.job)))
    for table in view_tables(view):
        console.print(table)


def _control(action: str, job_id: str, config: Path | None) -> None:
    job = _with_system(config, lambda s: getattr(s.service, action)(job_id))
    typer.echo(f"job {job.job_id} is {job.status.value}")


@twap_app.command()
def pause(job_id: str, config: ConfigOption = None) -> None:
    """Pause a running job (its schedule shifts by the pause)."""
    _control("pause", job_id, config)


@twap_app.command()
def resume(job_id: str, config: ConfigOption = None) -> None:
    """Resume a paused job."""
    _control("resume", job_id, config)


@twap_app.command()
def cancel(job_id: str, config: ConfigOption = None) -> None:
    """Cancel a job: no further slice is sent."""
    _control("cancel", job_id, config)


@twap_app.command()
def archive(job_id: str, config: ConfigOption = None) -> None:
    """Archive an ended job: hidden from `list`, kept in the database."""
    job = _with_system(config, lambda s: s.service.archive(job_id))
    typer.echo(f"job {job.job_id} is archived")


@twap_app.command()
def report(
    job_id: str,
    chart: Annotated[Path | None, typer.Option(help="Write the chart (PNG) here")] = None,
    config: ConfigOption = None,
) -> None:
    """The execution report as JSON; with --chart, the price / fills / cumulative chart as a PNG."""

    async def work(system: object) -> None:
        service = system.service  # type: ignore[attr-defined]
        result = await service.report(job_id)
        typer.echo(json.dumps(report_json(result), indent=2))
        if chart is not None:
            write_chart(await service.show(job_id), result, chart)
            typer.echo(f"chart written to {chart}")

    _with_system(config, work)


@twap_app.command()
def watch(
    job_id: str,
    every: Annotated[float, typer.Option(help="Refresh interval in seconds")] = 1.0,
    config: ConfigOption = None,
) -> None:
    """A progress bar: filled / total, average price, time left; ends when the job does."""

    async def work(system: object) -> None:
        service = system.service  # type: ignore[attr-defined]
        clock_ns = __import__("time").time_ns
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}")) as bar:
            task = bar.add_task(job_id, total=1.0, info="")
            while True:
                job = await service.get(job_id)
                result = await service.report(job_id)
                left = max(0, (job.start_ns + job.spec.runtime_s * 10**9 - clock_ns()) // 10**9)
                info = f"{job.filled_qty}/{job.total_qty} avg {result.avg_price or '-'} left {left}s {job.status.value}"
                bar.update(task, completed=float(job.filled_qty / job.total_qty), info=info)
                if job.status.is_final:
                    return
                await asyncio.sleep(every)

    _with_system(config, work)


@twap_app.command()
def run(
    until_idle: Annotated[bool, typer.Option(help="Exit once no job is running or paused")] = False,
    config: ConfigOption = None,
) -> None:
    """Run the scheduling and ordering services: executes every job, resuming any a restart interrupted."""

    async def work(system: object) -> None:
        service = system.service  # type: ignore[attr-defined]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            if until_idle and all(j.status.is_final for j in await service.list()):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)

    _with_system(config, work, execute=True)
