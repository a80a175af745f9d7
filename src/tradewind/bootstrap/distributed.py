"""The distributed compositions: one service per process over RabbitMQ and PostgreSQL (``tradewind service NAME``)."""

from __future__ import annotations

from tradewind.adapters.bus.metered import MeteredBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.metrics import ServiceMetrics
from tradewind.bootstrap import registry
from tradewind.bootstrap.common import build_clock
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.storage import migrations
from tradewind.interfaces.health.service import DistributedService
from tradewind.settings import ConfigError, Settings


def build_distributed(settings: Settings, service: str) -> DistributedService:
    """One service of the distributed mode, as its registry entry says: RabbitMQ bus, PostgreSQL, probes, metrics."""
    if settings.mode != "distributed":
        raise ConfigError(f"`tradewind service` needs mode: distributed (got {settings.mode!r}; TRADEWIND_MODE)")
    entry = registry.entry(service)
    build = registry.builder(service)
    port = registry.health_port(settings, service)
    configure_logging(settings.logging.level, json=settings.logging.json_output)
    metrics = ServiceMetrics(service)
    bus = MeteredBus(RabbitMqBus(settings.distributed.bus), metrics)
    platform = Platform(settings, build_clock(settings), bus, distributed=True, metrics=metrics)
    parts = build(platform)
    components = [migrations(platform), *parts.components] if entry.migrates else parts.components
    return DistributedService(
        service, settings.distributed, bus, metrics, components, port, platform.opened_database, parts.queues
    )
