"""The configured exchanges of a process: gateways built from config, connected at start, closed at stop."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping

import structlog

from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.application.lifecycle import Component
from tradewind.application.plugins import EXCHANGES, ExchangeContext
from tradewind.application.ports.exchange import ExchangeError, ExchangeGateway
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.plugins import load_plugin
from tradewind.settings import ConfigError, Settings

log = structlog.get_logger(__name__)
_RETRY_MIN_S = 1.0  # first pause before asking an unreachable exchange again, doubling up to _RETRY_MAX_S
_RETRY_MAX_S = 60.0


def publishing_gateways(platform: Platform) -> dict[str, PublishingGateway]:
    """The configured exchanges (``sim`` entries only when a venue runs in this process), each publishing
    ``order.event`` for its orders' states and fills (what ``dump_orders_to_db`` stores)."""
    from tradewind.adapters.exchanges.factory import build_gateway  # ccxt loads only where a gateway is built

    settings, venue, clock = platform.settings, platform.venue, platform.clock
    if venue is not None:
        _check_sim_accounts(settings)
    # Missing keys raise CredentialsError, which start_failures (bootstrap/startup.py) reports as configuration.
    gateways = {}
    for name, entry in settings.exchanges.entries.items():
        if entry.plugin is not None:
            factory = load_plugin(EXCHANGES, entry.plugin)
            gateway = factory(ExchangeContext(name, dict(entry.options), entry.sim_account, venue, clock))
        elif entry.type != "sim" or venue is not None:
            gateway = build_gateway(name, entry, venue, clock)
        else:
            continue
        gateways[name] = PublishingGateway(gateway, platform.bus, clock)
    return gateways


def _check_sim_accounts(settings: Settings) -> None:
    keys = {account.api_key for account in settings.venue.accounts}
    for name, entry in settings.exchanges.entries.items():
        if entry.type == "sim" and entry.sim_account not in keys:
            raise ConfigError(
                f"exchanges.entries.{name}.sim_account: {entry.sim_account!r} is the api_key of no venue.accounts entry"
            )


class ExchangeConnections:
    """Loads every gateway's instruments at start (and follows its order stream when asked); closes them at stop.

    ``in_background``: an exchange that does not answer is asked again with a growing pause instead of failing the
    start, so one unreachable exchange keeps neither the others nor the system down.
    """

    def __init__(
        self,
        platform: Platform,
        gateways: Mapping[str, PublishingGateway],
        *,
        follow_orders: bool,
        in_background: bool = True,
    ) -> None:
        self._clock = platform.clock
        self._gateways = dict(gateways)
        self._follow_orders = follow_orders
        self._in_background = in_background
        self._retries: list[asyncio.Task[None]] = []

    def component(self, name: str = "exchanges") -> Component:
        return Component(name, self.start, None, self.stop)

    async def start(self) -> None:
        for gateway in self._gateways.values():
            try:
                await self._connect(gateway)
            except ExchangeError as exc:
                if not self._in_background:
                    raise
                log.warning("twap.exchange_unreachable", exchange=gateway.name, error=str(exc), retry="in background")
                self._retries.append(asyncio.create_task(self._keep_connecting(gateway), name=f"load {gateway.name}"))

    async def _connect(self, gateway: PublishingGateway) -> None:
        await gateway.load_instruments()
        if self._follow_orders:
            await gateway.start()  # the process that trades follows its accounts' order streams

    async def _keep_connecting(self, gateway: PublishingGateway) -> None:
        """Load the gateway's instruments with a growing pause until its exchange answers."""
        for attempt in itertools.count():
            await self._clock.sleep(min(_RETRY_MAX_S, _RETRY_MIN_S * 2**attempt))
            try:
                await self._connect(gateway)
            except ExchangeError as exc:
                log.warning("twap.exchange_unreachable", exchange=gateway.name, error=str(exc), attempt=attempt + 1)
                continue
            log.info("twap.exchange_connected", exchange=gateway.name, attempts=attempt + 2)
            return

    async def stop(self) -> None:
        for retry in self._retries:
            retry.cancel()
        for gateway in self._gateways.values():
            await gateway.close()


def as_ports(gateways: Mapping[str, PublishingGateway]) -> dict[str, ExchangeGateway]:
    """The same gateways typed as the port the application services take."""
    return dict(gateways)
