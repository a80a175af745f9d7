"""``tradewind service NAME`` (one service of the distributed mode) and ``tradewind service-health NAME``."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tradewind.interfaces.cli.exits import BAD_CONFIGURATION, CANNOT_START, fail, load, starting

if TYPE_CHECKING:
    from tradewind.settings import Settings

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file (default ./tradewind.yaml)")
]


def register(app: typer.Typer) -> None:
    """Add the service commands to the ``tradewind`` application."""
    app.command("service")(service)
    app.command("service-health")(service_health)


def service(
    name: Annotated[
        str | None, typer.Argument(help="The service to run; --list shows them", envvar="TRADEWIND_SERVICE")
    ] = None,
    config: ConfigOption = None,
    list_services: Annotated[bool, typer.Option("--list", help="List the services and exit")] = False,
    health_port: Annotated[
        int | None, typer.Option(help="Port of /healthz, /readyz and /metrics (default from config; 0: a free one)")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            help="producer: run only the strategy instances with this id or strategy name (producer.strategy)"
        ),
    ] = None,
) -> None:
    """Run one service of the distributed mode over RabbitMQ and PostgreSQL (needs mode: distributed)."""
    from tradewind.bootstrap.registry import SERVICES, ServiceUnavailable, builder

    if list_services:
        for entry in SERVICES:
            state = "available" if entry.available else "reserved (its workflow is not built yet)"
            typer.echo(f"{entry.name}\t{state}")
        return
    try:
        builder(name or "")
    except ServiceUnavailable as exc:
        fail(str(exc), BAD_CONFIGURATION)
    settings = load(config)
    if strategy is not None:
        if name != "producer":
            fail("--strategy is an option of the producer service only", BAD_CONFIGURATION)
        settings = settings.model_copy(update={"producer": settings.producer.model_copy(update={"strategy": strategy})})
    asyncio.run(_serve(settings, name or "", health_port))


async def _serve(settings: Settings, name: str, health_port: int | None) -> None:
    from tradewind.application.lifecycle import ComponentCrashed
    from tradewind.bootstrap import build_distributed

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with starting(settings):
        system = build_distributed(settings, name)
        await system.start(health_port)
    try:
        await system.run_until(stop)
    except ComponentCrashed as exc:
        fail(str(exc), CANNOT_START)
    finally:
        await system.stop()


def service_health(
    name: Annotated[str, typer.Argument(help="The service to probe", envvar="TRADEWIND_SERVICE")],
    url: Annotated[
        str | None, typer.Option(help="Base URL of its probes (default http://127.0.0.1:<its port>)")
    ] = None,
    check: Annotated[str, typer.Option(help="live (/healthz), ready (/readyz) or both")] = "both",
    config: ConfigOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer")] = 5.0,
) -> None:
    """Probe a running service: exit 0 when healthy (and ready), 1 otherwise; prints what each probe said."""
    from tradewind.bootstrap.registry import ServiceUnavailable, entry, health_port
    from tradewind.settings import ConfigError

    try:
        entry(name)
    except ServiceUnavailable as exc:
        fail(str(exc), BAD_CONFIGURATION)
    paths = {"live": ["/healthz"], "ready": ["/readyz"], "both": ["/healthz", "/readyz"]}.get(check)
    if paths is None:
        fail(f"--check must be live, ready or both, got {check!r}", BAD_CONFIGURATION)
    if url is None:
        try:
            url = f"http://127.0.0.1:{health_port(load(config), name)}"
        except ConfigError as exc:
            fail(str(exc), BAD_CONFIGURATION)
    healthy = asyncio.run(_probe_all(url, paths, timeout))
    raise typer.Exit(0 if healthy else 1)


async def _probe_all(url: str, paths: list[str], timeout: float) -> bool:
    import aiohttp

    from tradewind.interfaces.health.server import probe

    healthy = True
    for path in paths:
        verdict: Literal["ok", "failing"] = "failing"
        try:
            status, body = await probe(url, path, timeout)
            verdict = "ok" if status == 200 else "failing"
            detail = json.dumps(body)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            detail = f"unreachable: {exc!r}"
        healthy = healthy and verdict == "ok"
        typer.echo(f"{path} {verdict} {detail}")
    return healthy
