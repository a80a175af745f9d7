"""The ``tradewind`` command line: it parses and renders, the application does the work."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from tradewind.interfaces.cli.cmd import cmd
from tradewind.interfaces.cli.exits import load, starting
from tradewind.interfaces.cli.md import md_app
from tradewind.interfaces.cli.positions import deals, positions
from tradewind.interfaces.cli.service import register as register_service_commands
from tradewind.interfaces.cli.twap import twap_app
from tradewind.settings import Settings

app = typer.Typer(
    help="Tradewind: trading platform and exchange simulator.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(md_app, name="md")
app.add_typer(twap_app, name="twap")
register_service_commands(app)
app.command("cmd")(cmd)
app.command("positions")(positions)
app.command("deals")(deals)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file (default ./tradewind.yaml)")
]


@app.command()
def run(
    config: ConfigOption = None,
    headless: Annotated[bool, typer.Option(help="Log instead of drawing the live view")] = False,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds")] = None,
) -> None:
    """Start the embedded system: simulator, storage, and the live market view."""
    settings = load(config)
    draw = not headless and sys.stdout.isatty()
    asyncio.run(_run_embedded(settings, draw=draw, duration=duration))


async def _run_embedded(settings: Settings, *, draw: bool, duration: float | None) -> None:
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
    title = "Tradewind (embedded)"
    if system.http_url is not None:
        # Straight to the terminal, never through logging: a generated token must not reach the logs table.
        typer.echo(api_banner(system.http_url, system.api_token.value, generated=system.api_token.generated), err=True)
        shown = f" · token {system.api_token.value}" if system.api_token.generated else ""
        title += f" · API {system.http_url}{shown}"
    try:
        if draw:
            await run_live_view(system.board, stop, settings.console.refresh_per_second, title=title)
        else:
            await system.log_progress_until(stop)
    finally:
        await system.stop()


def api_banner(url: str, token: str | None, *, generated: bool) -> str:
    """The line ``tradewind run`` prints for the HTTP API, as Jupyter prints its URL: with the token if generated."""
    if generated:
        return (
            f"HTTP API on {url} (OpenAPI at {url}/docs). Token for this run: {token} "
            "(send 'Authorization: Bearer <token>' on every changing request; set http.token to keep one)"
        )
    return f"HTTP API on {url} (OpenAPI at {url}/docs); changing requests send 'Authorization: Bearer <http.token>'"


@app.command("sim-exchange")
def sim_exchange(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default from config: 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config: 8080; 0 picks a free one)")] = None,
) -> None:
    """Serve the simulated exchange over Bybit's V5 and Binance's spot REST and WebSocket protocols (one port)."""
    settings = load(config)
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


@app.command("export-parquet")
def export_parquet(
    dest: Annotated[Path, typer.Argument(help="Folder to write the Parquet datasets into")] = Path("data/parquet"),
    config: ConfigOption = None,
) -> None:
    """Export stored trades, mid prices and book snapshots to Parquet, partitioned by instrument and day."""
    from tradewind.bootstrap.storage import export

    settings = load(config)
    with starting(settings):
        written = export(settings, dest)
    for table, rows in written.items():
        typer.echo(f"{table}: {rows} rows")


@app.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Validate the configuration and print it (secrets masked)."""
    typer.echo(load(config).masked_json())


def main() -> None:
    app()
