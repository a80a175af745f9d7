"""Every service of the distributed mode, one entry each: what it runs, its health port, whether it migrates.

This table drives ``tradewind service`` and ``--list``, the health ports, and the deployment checks (docker-compose
and deploy/k8s list exactly the available services; docs/deploy.md's table matches it). A new workflow adds its
entries here (see docs/architecture.md, "How to add a workflow").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tradewind.bootstrap.gateway import gateway_service
from tradewind.bootstrap.lake import lake_service
from tradewind.bootstrap.marketdata import market_data_service
from tradewind.bootstrap.notices import notices_wanted
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.signals import producer_service
from tradewind.bootstrap.simulator import sim_exchange_service
from tradewind.bootstrap.spread import ORDERS_QUEUE, signal_service, trading_engine_service
from tradewind.bootstrap.storage import storage_queue, storage_service
from tradewind.bootstrap.telegram import telegram_service
from tradewind.bootstrap.trading import trader_service
from tradewind.bootstrap.twap import twap_ordering_service, twap_scheduler_service
from tradewind.settings import ConfigError, Settings

Builder = Callable[[Platform], ServiceParts]


class ServiceUnavailable(RuntimeError):
    """The named service is reserved but its workflow is not built yet, or the name is unknown."""


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    name: str
    health_port: int  # default of /healthz, /readyz and /metrics; distributed.ports overrides it
    summary: str
    build: Builder | None = None  # None: the name is reserved for a workflow not built yet
    migrates: bool = False  # the one service that brings the database schema up to date

    @property
    def available(self) -> bool:
        return self.build is not None


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry(
        "sim-exchange", 9101,
        "the trader swarm, the venue and its Bybit V5 / Binance server (port 8080); publishes `md.*`",
        sim_exchange_service,
    ),
    ServiceEntry(
        "market-data", 9102,
        "the collector: a local book per subscription, `md.*` on the bus, `rpc.md.*` answers, saved subscriptions; "
        "the chart's one-minute candles of every market on the bus (`md.candle`)",
        market_data_service,
    ),
    ServiceEntry(
        "storage", 9103,
        "runs the migrations; records `md.*` (and `order.event`) from the durable queue `storage.md`",
        storage_service, migrates=True,
    ),
    ServiceEntry(
        "gateway", 9104,
        "the HTTP API (port 8000): subscriptions and books through market-data, `/twap` through the database and bus",
        gateway_service,
    ),
    ServiceEntry(
        "twap-scheduler", 9105, "dispatches due TWAP slices to the `twap.slice` work queue (one replica)",
        twap_scheduler_service,
    ),
    ServiceEntry(
        "twap-ordering", 9106, "sends TWAP slices from the `twap.slice` work queue, reconciling first",
        twap_ordering_service,
    ),
    ServiceEntry(
        "signal", 9107,
        "spread arbitrage: books of each matching group from `md.book`, spread orders over `rpc.orders`",
        signal_service,
    ),
    ServiceEntry(
        "trading-engine", 9108,
        "spread arbitrage: answers `rpc.orders` with ACK/NACK, owns exposure and PnL (one replica)",
        trading_engine_service,
    ),
    ServiceEntry(
        "producer", 9109,
        "signal trading: strategies (`--strategy NAME`) on candles of `md.trade`; publishes `signal.trade`",
        producer_service,
    ),
    ServiceEntry(
        "trader", 9110,
        "signal trading: the position manager; `signal.trade` from the durable queue `trader.signals`, deals, "
        "protection, PnL; the trade desk answering `cmd.trade.<exchange>` (trade objects); `trade.event.<kind>` and "
        "`trader.deal.<kind>` out (one replica)",
        trader_service,
    ),
    ServiceEntry(
        "telegram", 9111,
        "the Telegram bot: the command language from allowlisted chats; TWAP fills, trades and deals pushed",
        telegram_service,
    ),
    ServiceEntry(
        "lake", 9112,
        "writes `md.*` from the durable queue `lake.md` to Parquet on a folder or S3-compatible store, each row once",
        lake_service,
    ),
)  # fmt: skip
_BY_NAME = {entry.name: entry for entry in SERVICES}


def consumed_queues(settings: Settings) -> tuple[str, ...]:
    """Every durable bus queue a service consumes (the lag its ``/metrics`` reports), as ``settings`` name them; the
    Telegram notices' queue when notices are wanted (as its publishers decide to declare it)."""
    notices = (settings.telegram.notify_queue,) if notices_wanted(settings) else ()
    return (
        storage_queue(settings), settings.twap.slice_queue, settings.trader.queue, settings.lake.queue, ORDERS_QUEUE,
        *notices,
    )  # fmt: skip


def service_urls(settings: Settings) -> list[tuple[str, str]]:
    """Each available service's probe URL: ``distributed.service_hosts`` (by name, else ``127.0.0.1``) and its
    health port."""
    hosts = settings.distributed.service_hosts
    unknown = sorted(set(hosts) - set(_BY_NAME))
    if unknown:
        raise ConfigError(
            f"distributed.service_hosts: no service named {', '.join(map(repr, unknown))}; known: {', '.join(_BY_NAME)}"
        )
    return [
        (name, f"http://{hosts.get(name, '127.0.0.1')}:{health_port(settings, name)}") for name in available_services()
    ]


def service_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def available_services() -> tuple[str, ...]:
    """The services ``tradewind service`` can run now (the others are reserved for workflows to come)."""
    return tuple(entry.name for entry in SERVICES if entry.available)


def entry(name: str) -> ServiceEntry:
    """The registry entry of ``name``; ServiceUnavailable when the name is unknown."""
    found = _BY_NAME.get(name)
    if found is None:
        raise ServiceUnavailable(f"unknown service {name!r}; known: {', '.join(_BY_NAME)}")
    return found


def builder(name: str) -> Builder:
    """What ``name`` runs; ServiceUnavailable when it is unknown or reserved."""
    build = entry(name).build
    if build is None:
        available = ", ".join(available_services())
        raise ServiceUnavailable(
            f"service {name!r} is reserved: its workflow is not built yet (available: {available})"
        )
    return build


def health_port(settings: Settings, name: str) -> int:
    """The port of ``name``'s probes: ``distributed.ports`` if it names the service, else the registry's default."""
    unknown = sorted(set(settings.distributed.ports) - set(_BY_NAME))
    if unknown:
        raise ConfigError(
            f"distributed.ports: no service named {', '.join(map(repr, unknown))}; known: {', '.join(_BY_NAME)}"
        )
    return settings.distributed.ports.get(name, entry(name).health_port)


def markdown_table() -> str:
    """The service table of docs/deploy.md, as the registry says (a test keeps the two equal)."""
    rows = ["| service | health port | what it does | state |", "| --- | --- | --- | --- |"]
    for service in SERVICES:
        state = ("runs, migrates the database" if service.migrates else "runs") if service.available else "reserved"
        rows.append(f"| `{service.name}` | {service.health_port} | {service.summary} | {state} |")
    return "\n".join(rows)
