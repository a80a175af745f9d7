"""The ``tradewind`` command line: it parses and renders, the application does the work."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradewind.interfaces.cli.cmd import cmd
from tradewind.interfaces.cli.exits import fail, load, refuse_undriven_clock, starting
from tradewind.interfaces.cli.lake import lake_app
from tradewind.interfaces.cli.md import md_app
from tradewind.interfaces.cli.positions import deals, positions, trades
from tradewind.interfaces.cli.service import register as register_service_commands
from tradewind.interfaces.cli.spreads import spreads
from tradewind.interfaces.cli.twap import twap_app

if TYPE_CHECKING:
    from tradewind.bootstrap.embedded import EmbeddedSystem
    from tradewind.settings import Settings

app = typer.Typer(
    help="Tradewind: trading platform and exchange simulator.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(md_app, name="md")
app.add_typer(twap_app, name="twap")
app.add_typer(lake_app, name="lake")
register_service_commands(app)
app.command("cmd")(cmd)
app.command("spreads")(spreads)
app.command("positions")(positions)
app.command("deals")(deals)
app.command("trades")(trades)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file (default ./tradewind.yaml)")
]


@app.command()
def run(
    config: ConfigOption = None,
    headless: Annotated[bool, typer.Option(help="Log instead of drawing the live view")] = False,
    prompt: Annotated[bool, typer.Option(help="A command prompt under the live view (--no-prompt: view only)")] = True,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds")] = None,
    sim_speed: Annotated[
        float | None, typer.Option(help="Run on the simulated clock, N times as fast as real time", min=0.001)
    ] = None,
) -> None:
    """Start the embedded system: simulator, storage, the live market view and a command prompt."""
    settings = load(config) if sim_speed is None else load(config, clock="sim", sim_speed=sim_speed)
    refuse_undriven_clock(settings)
    draw = not headless and sys.stdout.isatty()
    asyncio.run(_run_embedded(settings, draw=draw, prompt=prompt and sys.stdin.isatty(), duration=duration))


async def _run_embedded(settings: Settings, *, draw: bool, prompt: bool, duration: float | None) -> None:
    from tradewind.bootstrap import build_embedded
    from tradewind.interfaces.console.view import run_live_view

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    with starting(settings):
        system = build_embedded(settings, console_logging=not draw)
        await system.start()
    asyncio.create_task(_relay(system.shutdown, stop))  # noqa: RUF006 - ends with the loop; `quit` sets it
    system.board.where = lambda: where_line(system)
    title = "Tradewind (embedded)"
    if system.http_url is not None:
        # Straight to the terminal, never through logging: a generated token must not reach the logs table.
        typer.echo(api_banner(system.http_url, system.api_token.value, generated=system.api_token.generated), err=True)
        shown = f" · token {system.api_token.value}" if system.api_token.generated else ""
        title += f" · API {system.http_url}{shown}"
    try:
        if draw and prompt:
            await _prompt(system, settings, stop, title)
        elif draw:
            await run_live_view(system.board, stop, settings.console.refresh_per_second, title=title)
        else:
            await system.log_progress_until(stop)
    finally:
        await system.stop()
        if draw:  # the screen is gone: say that nothing was lost (headless runs log system.stopped instead)
            published, recorded = system.simulator.published, system.recorder.stats.written
            typer.echo(f"stopped: {published} market events published, {recorded} recorded", err=True)


async def _prompt(system: EmbeddedSystem, settings: Settings, stop: asyncio.Event, title: str) -> None:
    """The board and the command prompt; the operator is ``commands.users``' terminal user (admin by default)."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from tradewind.interfaces.console.prompt import TerminalPrompt

    path = settings.console.history_file
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    history = InMemoryHistory() if path is None else FileHistory(str(path))
    operator = settings.commands.directory().terminal
    console = TerminalPrompt(
        system.gate, operator, system.board, title=title, refresh_per_second=settings.console.refresh_per_second,
        history=history,
    )  # fmt: skip
    with contextlib.redirect_stderr(console.log_writer()):  # warnings appear under the board, not across it
        await console.run(stop)


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def where_line(system: EmbeddedSystem) -> str:
    """Ports, the database and how much it holds, for the live view."""
    database = system.platform.database
    parts = []
    if system.exchange_port is not None:
        parts.append(f"sim-exchange :{system.exchange_port}")
    if system.http_port is not None:
        parts.append(f"API :{system.http_port}")
    size = ""
    if database.backend == "sqlite" and database.url.database:
        path = Path(database.url.database)
        files = [f for f in (path, path.with_name(path.name + "-wal")) if f.exists()]  # WAL holds the newest rows
        with contextlib.suppress(OSError):
            total = sum(f.stat().st_size for f in files)
            size = f" ({total / 1e6:,.1f} MB; `tradewind db prune` trims it)"
    parts.append(f"database {database.safe_url}{size}")
    return "   ".join(parts)


def api_banner(url: str, token: str | None, *, generated: bool) -> str:
    """The line ``tradewind run`` prints for the HTTP API, as Jupyter prints its URL: with the token if generated."""
    if generated:
        return (
            f"HTTP API on {url} (OpenAPI at {url}/docs). Token for this run: {token} "
            "(send 'Authorization: Bearer <token>' on every changing request; set http.token to keep one). "
            f"Dashboard: {url}/"
        )
    return (
        f"HTTP API on {url} (OpenAPI at {url}/docs); changing requests send 'Authorization: Bearer <http.token>'. "
        f"Dashboard: {url}/"
    )


@app.command("sim-exchange")
def sim_exchange(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default from config: 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config: 8080; 0 picks a free one)")] = None,
    sim_speed: Annotated[
        float | None, typer.Option(help="Run on the simulated clock, N times as fast as real time", min=0.001)
    ] = None,
) -> None:
    """Serve the simulated exchange over Bybit's V5 and Binance's spot REST and WebSocket protocols (one port)."""
    settings = load(config) if sim_speed is None else load(config, clock="sim", sim_speed=sim_speed)
    refuse_undriven_clock(settings)
    asyncio.run(
        _run_sim_exchange(
            settings, host or settings.sim_exchange.host, settings.sim_exchange.port if port is None else port
        )
    )


async def _run_sim_exchange(settings: Settings, host: str, port: int) -> None:
    from tradewind.bootstrap import build_sim_exchange

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with starting(settings):
        system = build_sim_exchange(settings, host=host, port=port)
        bound = await system.start()
    typer.echo(
        f"Bybit V5 simulator on http://{host}:{bound} (REST) and ws://{host}:{bound}/v5/public/spot "
        f"(WebSocket). Ctrl-C stops it."
    )
    try:
        await stop.wait()
    finally:
        await system.stop()


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Run the migrations up to the latest schema."""
    from tradewind.bootstrap.storage import upgrade

    settings = load(config)
    with starting(settings):
        url = upgrade(settings)
    typer.echo(f"database at {url} is at the latest schema")


@db_app.command("prune")
def db_prune(  # noqa: PLR0917 - one parameter per command-line option
    config: ConfigOption = None,
    older_than_hours: Annotated[
        str | None,
        typer.Option(help="Delete book snapshots and mids older than this (default recorder.retention_hours)"),
    ] = None,
    max_bytes: Annotated[
        str | None,
        typer.Option(
            help="Then delete the oldest until both hold at most this much, e.g. 2GB or 500MiB "
            "(default recorder.retention_max_bytes)"
        ),
    ] = None,
    receipts_days: Annotated[
        str | None,
        typer.Option(
            help="Delete command receipts older than this many days, at least 1 (default "
            "commands.journal.receipts_days: 30)"
        ),
    ] = None,
    notice_receipts_days: Annotated[
        str | None,
        typer.Option(
            help="Delete the receipts of Telegram notices sent older than this many days (default "
            "commands.journal.notice_receipts_days: 7)"
        ),
    ] = None,
    audit_days: Annotated[
        str | None,
        typer.Option(help="Delete audit entries older than this many days (default commands.journal.audit_days: kept)"),
    ] = None,
) -> None:
    """Delete old book snapshots and mids (trades and candles are kept) and old rows of the command journal; report
    the market data's bytes before and after and the journal's rows deleted."""
    from tradewind.application.commands.settings import MAX_JOURNAL_DAYS, MIN_RECEIPT_DAYS
    from tradewind.bootstrap.storage import prune

    settings = load(config)
    hours = settings.recorder.retention_hours
    if older_than_hours is not None:
        hours = _positive("--older-than-hours", older_than_hours, "hours", high=MAX_JOURNAL_DAYS * 24)
    budget = settings.recorder.retention_max_bytes if max_bytes is None else _byte_size("--max-bytes", max_bytes)
    days = {
        name: _positive(f"--{name.replace('_', '-')}", raw, "days", high=MAX_JOURNAL_DAYS, low=low)
        for name, raw, low in (
            ("receipts_days", receipts_days, MIN_RECEIPT_DAYS), ("notice_receipts_days", notice_receipts_days, 0),
            ("audit_days", audit_days, 0),
        )
        if raw is not None
    }  # fmt: skip
    journal = settings.commands.journal.model_copy(update=days)  # each validated by _positive as the model would
    limits = {"command_receipts": journal.receipts_days, "notice_receipts": journal.notice_receipts_days,
            "command_audit": journal.audit_days}  # fmt: skip
    if hours is None and budget is None and not journal.limited:
        fail("nothing to prune by: give --older-than-hours, --max-bytes or a --*-days option "
             "(or recorder.retention_*, commands.journal.*)", 2)  # fmt: skip
    with starting(settings):
        report, deleted = prune(settings, hours=hours, max_bytes=budget, journal=journal)
    if report is not None:
        for table, count in report.deleted.items():
            before, after = report.bytes_before[table], report.bytes_after[table]
            typer.echo(f"{table}: {count} rows deleted, {_human(before)} -> {_human(after)}")
        typer.echo(f"total: {_human(report.total_before)} -> {_human(report.total_after)}")
    for table, limit in limits.items():
        if table in deleted:
            typer.echo(f"{table}: {deleted[table]} rows older than {limit:g} days deleted")
        else:
            typer.echo(f"{table}: kept (no limit)")


def _positive(option: str, value: str, unit: str, *, high: float, low: float = 0) -> float:
    """A finite number of ``unit`` above ``low`` (at least it, when ``low`` is not 0) and at most ``high``, or exit 2
    naming the option; 1e30, NaN and Infinity are refused, not turned into a date no database holds."""
    from decimal import Decimal

    from tradewind.domain.numbers import NumberError, NumberLimits, parse_decimal

    try:
        number = parse_decimal(value, option, NumberLimits(max_magnitude=Decimal(high), max_digits=12, max_places=6))
    except NumberError:
        number = Decimal(-1)
    if number <= 0 or number < low:
        least = f"at least {low:g}" if low else "more than 0"
        fail(f"{option}: {value!r} is not a number of {unit} {least} and at most {high:g}", 2)
    return float(number)


def _byte_size(option: str, value: str) -> int:
    """A positive size such as ``2GB``, ``500MiB`` or ``1000000``, or exit 2 naming the option."""
    from pydantic import ByteSize, TypeAdapter, ValidationError

    try:
        size = int(TypeAdapter(ByteSize).validate_python(value.strip()))
    except ValidationError:
        size = 0
    if size <= 0:
        fail(f"{option}: {value!r} is not a size; give a positive number of bytes with a unit, e.g. 2GB or 500MiB", 2)
    return size


def _human(size: int) -> str:
    return f"{size:,} bytes ({size / 1e6:,.1f} MB)"


@app.command("export-parquet")
def export_parquet(
    dest: Annotated[
        str, typer.Argument(help="Folder, or s3://bucket/prefix (with the lake's endpoint and credentials)")
    ] = "data/parquet",
    config: ConfigOption = None,
) -> None:
    """Export stored trades, mid prices and book snapshots to Parquet, partitioned by instrument and day."""
    from tradewind.bootstrap.storage import export

    settings = load(config)
    with starting(settings):
        written = export(settings, dest)
    for table, rows in written.items():
        typer.echo(f"{table}: {rows} rows")


@app.command("simulate")
def simulate(
    hours: Annotated[float, typer.Option(help="Simulated hours to run", min=0.001, max=24 * 366)],
    out: Annotated[
        str | None, typer.Option(help="Export trades, mids and books to Parquet here afterwards (folder or s3://)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the market on the simulated clock as fast as the machine goes, record it, then export Parquet."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from tradewind.bootstrap.simulate import simulate as run_simulation
    from tradewind.interfaces.http.settings import HttpSettings

    settings = load(config, clock="sim", sim_speed=None, http=HttpSettings(enabled=False))
    total = hours * 3600
    columns = (TextColumn("simulating"), BarColumn(), TextColumn("{task.fields[done]}"), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress, starting(settings):
        task = progress.add_task("simulate", total=total, done="")

        def advance(done_s: float) -> None:
            progress.update(task, completed=done_s, done=f"{done_s / 3600:.2f} / {hours:g} h")

        result = asyncio.run(run_simulation(settings, hours, advance))
    typer.echo(
        f"simulated {result.simulated_s / 3600:g} h: {result.steps} steps, {result.published} market events, "
        f"{result.recorded} recorded"
    )
    if out is not None:
        from tradewind.bootstrap.storage import export

        with starting(settings):
            written = export(settings, out)
        for table, rows in written.items():
            typer.echo(f"{table}: {rows} rows -> {out}")


@app.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Validate the configuration and print it (secrets masked)."""
    settings = load(config)
    typer.echo(settings.masked_json())
    if settings.clock == "sim" and settings.sim_speed is None:
        note = "note: clock: sim without sim_speed: `tradewind run` refuses it, `tradewind simulate` drives it"
        typer.echo(note, err=True)


def main() -> None:
    try:
        app()
    finally:
        if "tradewind.adapters.store.lake.filesystem" in sys.modules:  # a lake or export ran: maybe on S3
            from tradewind.bootstrap.lake import release_s3

            release_s3()  # pyarrow's S3 client stopped before the interpreter's exit
