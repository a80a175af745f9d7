"""Signal trading's position manager: the trader over the deals table and the configured exchanges.

Embedded: ``trader(platform, gateways)`` over the gateways TWAP already connects (``trader.enabled``), and the trade
desk (``trades.enabled``). Distributed: ``tradewind service trader`` consumes the durable ``trader.signals`` queue over
RabbitMQ and runs the trade desk, answering ``cmd.trade.<exchange>`` requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository
from tradewind.application.lifecycle import Component
from tradewind.application.trading.risk_registry import RISK_GROUP, RiskRegistry
from tradewind.application.trading.service import TraderService
from tradewind.application.trading.trade_settings import TradesSettings
from tradewind.application.trading.trades import TradeDesk
from tradewind.bootstrap.exchanges import ExchangeConnections, as_ports, publishing_gateways
from tradewind.bootstrap.notices import notice_queue
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.plugins import load_plugin
from tradewind.bootstrap.storage import schema_at_head
from tradewind.domain.trading.risk import BUILT_IN, RiskFactory
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
    service = TraderService(
        SqlDealRepository(platform.database), ports, platform.bus, platform.clock, settings,
        trades=SqlTradeRepository(platform.database),  # the desk's trades share the account's positions
    )  # fmt: skip
    return TraderParts(service, [Component("trader", service.start, service.run, service.stop)])


@dataclass(frozen=True, slots=True)
class TradeDeskParts:
    desk: TradeDesk
    components: list[Component]


def risk_registry(settings: TradesSettings) -> RiskRegistry:
    """The built-in risk strategies and the ``tradewind.risk`` plug-ins ``trades.risk`` names (each built once here,
    so a bad parameter is a ConfigError at start)."""
    plugins: dict[str, RiskFactory] = {}
    for name in settings.risk:
        if name not in BUILT_IN:
            plugins[name] = load_plugin(RISK_GROUP, name)
    try:
        registry = RiskRegistry(plugins)
        registry.strategies(settings.risk)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"trades.risk: {exc}") from None
    return registry


def trade_desk(platform: Platform, gateways: Mapping[str, PublishingGateway]) -> TradeDeskParts:
    """The trade objects of the ``buy``/``sell``/``close`` commands over ``gateways`` (connected by their owner)."""
    desk = TradeDesk(
        SqlTradeRepository(platform.database), as_ports(gateways), platform.bus, platform.clock,
        platform.settings.trades, registry=risk_registry(platform.settings.trades),
        deals=SqlDealRepository(platform.database),  # the deals share the account's positions
    )  # fmt: skip
    return TradeDeskParts(desk, [Component("trades", desk.start, desk.run, desk.stop)])


def trader_service(platform: Platform) -> ServiceParts:
    """``trader``: signals from the durable work queue; orders through the configured exchanges (one replica); the
    trade desk (``cmd.trade.<exchange>`` requests) beside it when ``trades.enabled``."""
    gateways = publishing_gateways(platform)
    connections = ExchangeConnections(platform, gateways, follow_orders=False, in_background=False)
    parts = trader(platform, gateways)
    desk = trade_desk(platform, gateways).components if platform.settings.trades.enabled else []
    first = [schema_at_head(platform), connections.component("trader-exchanges"), *notice_queue(platform)]
    return ServiceParts([*first, *parts.components, *desk], (platform.settings.trader.queue,))
