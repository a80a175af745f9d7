"""Signal trading's position manager: the trader over the deals table and the configured exchanges.

Embedded: ``trader(platform, gateways)`` over the gateways TWAP already connects (``trader.enabled``). Distributed:
``tradewind service trader`` consumes the durable ``trader.signals`` queue over RabbitMQ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.lifecycle import Component
from tradewind.application.trading.service import TraderService
from tradewind.bootstrap.exchanges import ExchangeConnections, as_ports, publishing_gateways
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.storage import schema_at_head
from tradewind.settings import ConfigError


@dataclass(frozen=True, slots=True)
class TraderParts:
    service: TraderService
    components: list[Component]

    def readonly(self) -> TraderParts:
        """The service for reading positions, deals and status only (the HTTP gateway): nothing of it runs."""
        return TraderParts(self.service, [])


def trader(platform: Platform, gateways: Mapping[str, PublishingGateway]) -> TraderParts:
    """The position manager over ``gateways`` (connected by their owner): reconciles at start, then consumes.

    ``trader.exchanges`` lets a signal's exchange word trade through another entry's gateway."""
    settings = platform.settings.trader
    ports = as_ports(gateways)
    for word, name in settings.exchanges.items():
        if name not in ports:
            raise ConfigError(
                f"trader.exchanges.{word}: no exchanges entry {name!r} in this process (entries: {sorted(gateways)})"
            )
        ports[word] = ports[name]
    service = TraderService(SqlDealRepository(platform.database), ports, platform.bus, platform.clock, settings)
    return TraderParts(service, [Component("trader", service.start, service.run, service.stop)])


def trader_service(platform: Platform) -> ServiceParts:
    """``trader``: signals from the durable work queue; orders through the configured exchanges (one replica)."""
    gateways = publishing_gateways(platform)
    connections = ExchangeConnections(platform, gateways, follow_orders=False, in_background=False)
    parts = trader(platform, gateways)
    return ServiceParts(
        [schema_at_head(platform), connections.component("trader-exchanges"), *parts.components],
        (platform.settings.trader.queue,),
    )
