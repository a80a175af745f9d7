"""``tradewind twap ...``: create, list, show, pause, resume, cancel, watch, report and run TWAP jobs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tradewind.domain.numbers import NumberError, parse_decimal, parse_int
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpecError
from tradewind.domain.values import Category, Side
from tradewind.interfaces.cli.exits import starting
from tradewind.interfaces.render.chart import write_chart
from tradewind.interfaces.render.twap import (
    JOB_COLUMNS,
    LOG_COLUMNS,
    SLICE_COLUMNS,
    Rows,
    created_line,
    job_json,
    job_rows,
    log_rows,
    progress_line,
    report_json,
    slice_rows,
    status_line,
)

if TYPE_CHECKING:  # loaded by the verbs that run, not by `tradewind` for every other verb
    from tradewind.application.commands import CommandService
    from tradewind.application.twap.reader import TwapReader
    from tradewind.domain.commands import ControlTwap, InputLimits
    from tradewind.settings import Settings

twap_app = typer.Typer(help="TWAP execution: slice an order over time.", no_args_is_help=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file")]
T = TypeVar("T")
_PROGRESS_EVERY_S = 0.5  # how often `twap run` redraws its lines (and checks for idleness)


def _refuse(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _settings(config: Path | None) -> Settings:
    from tradewind.settings import ConfigError, load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        _refuse(str(exc))


def _with_commands(
    config: Path | None,
    work: Callable[[CommandService], Awaitable[T]],
    *,
    execute: bool = False,
    exchanges: bool = False,
) -> T:
    """Run ``work`` on the command service of a TWAP system built from the config; a refusal is exit code 2.

    Only ``create`` (``exchanges``) and ``run`` (``execute``) reach an exchange; every other verb needs the database.
    """
    from tradewind.application.commands import CommandError
    from tradewind.bootstrap.twap import build_twap  # the composition root loads after the arguments are parsed

    async def main() -> T:
        settings = _settings(config)
        with starting(settings):  # a database the storage service has not migrated, say: exit 1
            system = build_twap(settings, execute=execute, exchanges=exchanges)
            await system.start()
        try:
            return await work(system.commands)
        finally:
            await system.stop()

    try:
        return asyncio.run(main())
    except CommandError as exc:
        _refuse(str(exc))


def _reading(config: Path | None, work: Callable[[TwapReader], Awaitable[T]]) -> T:
    """Run ``work`` on TWAP's reader over the configured database: the reading verbs (list, show, report, watch).

    Only their settings (storage, logging) are read and checked, and nothing but the database is built: no bus,
    gateway or command service. Answers, messages and exit codes are those of the full system's command service.
    """
    from tradewind.application.ports.repositories import StoreUnavailable
    from tradewind.application.twap.reader import JobNotFound
    from tradewind.bootstrap.twap_reading import twap_reading
    from tradewind.config import ConfigError, load_reading_settings

    try:
        settings = load_reading_settings(config)
    except ConfigError as exc:
        _refuse(str(exc))

    async def main() -> T:
        with starting(settings):  # a database the storage service has not migrated, say: exit 1
            reading = twap_reading(settings)
        try:
            return await work(reading.reader)
        finally:
            reading.close()

    try:
        return asyncio.run(main())
    except JobNotFound as exc:
        _refuse(str(exc))
    except StoreUnavailable as exc:
        _refuse(exc.detail)


def _decimal(raw: str | None, flag: str, limits: InputLimits) -> Decimal | None:
    return None if raw is None else parse_decimal(raw, flag, limits.numbers)


def _seconds(raw: str | None, flag: str, limits: InputLimits) -> int | None:
    return None if raw is None else parse_int(raw, flag, low=1, high=limits.max_runtime_s)


@twap_app.command()
def create(  # noqa: PLR0917 - one parameter per command-line option
    side: Annotated[Side, typer.Argument(help="Buy or Sell", case_sensitive=False)],
    symbol: Annotated[str, typer.Argument(help="e.g. BTCUSDT")],
    qty: Annotated[str | None, typer.Option(help="Total size in base currency")] = None,
    notional: Annotated[str | None, typer.Option(help="Total size in quote currency instead")] = None,
    runtime: Annotated[str, typer.Option(help="Runtime in seconds")] = "3600",
    interval: Annotated[str | None, typer.Option(help="Seconds between slices")] = None,
    slices: Annotated[str | None, typer.Option(help="Number of slices instead of an interval")] = None,
    limit: Annotated[str | None, typer.Option(help="Price limit: a buy never pays above, a sell never below")] = None,
    on_limit: Annotated[LimitPolicy, typer.Option(help="stop the job or skip the slice")] = LimitPolicy.STOP,
    catch_up: Annotated[CatchUpPolicy, typer.Option(help="after downtime: catch_up or skip")] = CatchUpPolicy.CATCH_UP,
    style: Annotated[OrderStyle, typer.Option(help="market, marketable_limit or passive_limit")] = OrderStyle.MARKET,
    slippage_bps: Annotated[str, typer.Option(help="Marketable limit: max bps through the touch")] = "50",
    size_jitter: Annotated[str, typer.Option(help="Slice size randomisation, fraction in [0, 1)")] = "0",
    time_jitter: Annotated[str, typer.Option(help="Slice time randomisation, fraction in [0, 1)")] = "0",
    seed: Annotated[str, typer.Option(help="Seed of the randomisation")] = "0",
    exchange: Annotated[str | None, typer.Option(help="Exchange entry (default: exchanges.default)")] = None,
    category: Annotated[Category, typer.Option(help="spot or linear")] = Category.SPOT,
    job_id: Annotated[str | None, typer.Option("--id", help="Job id (default: random)")] = None,
    allow_insufficient: Annotated[
        bool, typer.Option("--allow-insufficient", help="Start even if the free balance cannot cover the whole job")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Create a TWAP job; `tradewind twap run` executes it."""
    from tradewind.domain.commands import CreateTwap  # the command language: not for the reading verbs

    settings = _settings(config)
    limits = settings.input.limits()
    # Every number through the one parser: 1e30, NaN, Infinity, 2.7 slices and 1_0 are refused, never truncated.
    try:
        command = CreateTwap(
            side, symbol, parse_int(runtime, "--runtime", low=1, high=limits.max_runtime_s),
            quantity=_decimal(qty, "--qty", limits), notional=_decimal(notional, "--notional", limits),
            slices=None if slices is None else parse_int(slices, "--slices", low=1, high=limits.max_slices),
            interval_s=_seconds(interval, "--interval", limits),
            limit_price=_decimal(limit, "--limit", limits), limit_policy=on_limit, catch_up=catch_up,
            order_style=style, max_slippage_bps=parse_decimal(slippage_bps, "--slippage-bps", limits.numbers),
            size_jitter=parse_decimal(size_jitter, "--size-jitter", limits.numbers),
            time_jitter=parse_decimal(time_jitter, "--time-jitter", limits.numbers),
            seed=parse_int(seed, "--seed", low=0, high=limits.max_seed),
            exchange=exchange, category=category, job_id=job_id, allow_insufficient=allow_insufficient,
        )  # fmt: skip
        spec = command.spec(settings.exchanges.default)  # the slice rule refuses before the system starts
    except (NumberError, TwapSpecError) as exc:
        _refuse(str(exc))
    entry = settings.exchanges.entries.get(spec.exchange)
    if entry is not None and entry.type == "sim":  # its venue lives in the memory of `tradewind run`, not here
        _refuse(
            f"exchange {spec.exchange!r} is the simulator inside `tradewind run`, which this command cannot reach: "
            "create the job over that system's HTTP API (POST /twap), or name an exchange entry of type bybit or "
            "binance with env: sim-server that points at its sim-exchange port"
        )
    typer.echo(created_line(_with_commands(config, lambda c: c.create_twap(command), exchanges=True)))


def _table(columns: tuple[str, ...], rows: Rows) -> Table:
    table = Table(*columns)
    for row in rows:
        table.add_row(*row)
    return table


@twap_app.command("list")
def list_jobs(
    archived: Annotated[bool, typer.Option("--archived", help="Include archived jobs")] = False,
    config: ConfigOption = None,
) -> None:
    """Every TWAP job with its progress (archived ones with --archived)."""
    jobs = _reading(config, lambda reader: reader.list(archived=archived))
    if not jobs:  # an empty table reads like a rendering fault
        hidden = "" if archived else " (archived jobs are shown with --archived)"
        Console().print(f"no TWAP jobs{hidden}; start one with `tradewind twap create`")
        return
    Console().print(_table(JOB_COLUMNS, job_rows(jobs)))


@twap_app.command()
def show(job_id: str, config: ConfigOption = None) -> None:
    """A job, its slices and its decision log."""
    view = _reading(config, lambda reader: reader.show(job_id))
    console = Console()
    console.print_json(json.dumps(job_json(view.job)))
    console.print(_table(SLICE_COLUMNS, slice_rows(view)))
    console.print(_table(LOG_COLUMNS, log_rows(view)))


def _control(command: ControlTwap, config: Path | None) -> None:
    typer.echo(status_line(_with_commands(config, lambda c: c.control_twap(command))))


@twap_app.command()
def pause(job_id: str, config: ConfigOption = None) -> None:
    """Pause a running job (its schedule shifts by the pause)."""
    from tradewind.domain.commands import PauseTwap

    _control(PauseTwap(job_id), config)


@twap_app.command()
def resume(job_id: str, config: ConfigOption = None) -> None:
    """Resume a paused job."""
    from tradewind.domain.commands import ResumeTwap

    _control(ResumeTwap(job_id), config)


@twap_app.command()
def cancel(job_id: str, config: ConfigOption = None) -> None:
    """Cancel a job: no further slice is sent."""
    from tradewind.domain.commands import CancelTwap

    _control(CancelTwap(job_id), config)


@twap_app.command()
def archive(job_id: str, config: ConfigOption = None) -> None:
    """Archive an ended job: hidden from `list`, kept in the database."""
    from tradewind.domain.commands import ArchiveTwap

    job = _with_commands(config, lambda c: c.control_twap(ArchiveTwap(job_id)))
    typer.echo(f"job {job.job_id} is archived")


@twap_app.command()
def report(
    job_id: str,
    chart: Annotated[Path | None, typer.Option(help="Write the chart (PNG) here")] = None,
    config: ConfigOption = None,
) -> None:
    """The execution report as JSON; with --chart, the price / fills / cumulative chart as a PNG."""

    async def work(reader: TwapReader) -> None:
        result = await reader.report(job_id)
        view = await reader.show(job_id)
        typer.echo(json.dumps(report_json(result, view.job), indent=2))
        if chart is not None:
            write_chart(view, result, chart)
            typer.echo(f"chart written to {chart}", err=True)  # stdout stays one JSON document

    _reading(config, work)


@twap_app.command()
def watch(
    job_id: str,
    every: Annotated[float, typer.Option(help="Refresh interval in seconds")] = 1.0,
    config: ConfigOption = None,
) -> None:
    """A progress bar: filled / total, average price, time left; ends when the job does."""

    from rich.progress import BarColumn, Progress, TextColumn  # only this verb draws a bar

    async def work(reader: TwapReader) -> None:
        clock_ns = __import__("time").time_ns
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}")) as bar:
            task = bar.add_task(job_id, total=1.0, info="")
            while True:
                job = (await reader.show(job_id)).job
                result = await reader.report(job_id)
                left = max(0, (job.start_ns + job.spec.runtime_s * 10**9 - clock_ns()) // 10**9)
                info = progress_line(job, result, left)
                bar.update(task, completed=float(job.filled_qty / job.total_qty), info=info)
                if job.status.is_final:
                    return
                await asyncio.sleep(every)

    _reading(config, work)


@twap_app.command()
def run(
    until_idle: Annotated[bool, typer.Option(help="Exit once no job is running or paused")] = False,
    config: ConfigOption = None,
) -> None:
    """Run the scheduling and ordering services: executes every job, resuming any a restart interrupted.

    Prints one progress line per job on stdout (redrawn in place on a terminal); logs go to stderr.
    """
    from tradewind.interfaces.cli.twap_progress import RunProgress

    async def work(commands: CommandService) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        with RunProgress(commands) as progress:
            while not stop.is_set():
                followed = await progress.refresh()
                if until_idle and all(job.status.is_final for job in followed):
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _PROGRESS_EVERY_S)

    _with_commands(config, work, execute=True)
