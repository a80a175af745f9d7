"""Settings of the distributed mode: the RabbitMQ bus and where each service serves its probes and metrics."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tradewind.adapters.bus.rabbitmq import RabbitMqSettings

SERVICE_NAMES: tuple[str, ...] = (
    "sim-exchange",
    "market-data",
    "storage",
    "gateway",
    "twap-scheduler",
    "twap-ordering",
    "signal",
    "trading-engine",
    "producer",
    "trader",
    "telegram",
)


class ServicePorts(BaseModel):
    """The health/metrics port of each service (``0`` picks a free one); one field per service name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sim_exchange: int = Field(9101, ge=0, le=65535)
    market_data: int = Field(9102, ge=0, le=65535)
    storage: int = Field(9103, ge=0, le=65535)
    gateway: int = Field(9104, ge=0, le=65535)
    twap_scheduler: int = Field(9105, ge=0, le=65535)
    twap_ordering: int = Field(9106, ge=0, le=65535)
    signal: int = Field(9107, ge=0, le=65535)
    trading_engine: int = Field(9108, ge=0, le=65535)
    producer: int = Field(9109, ge=0, le=65535)
    trader: int = Field(9110, ge=0, le=65535)
    telegram: int = Field(9111, ge=0, le=65535)

    def of(self, service: str) -> int:
        if service not in SERVICE_NAMES:
            raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICE_NAMES)}")
        return int(getattr(self, service.replace("-", "_")))


class DistributedSettings(BaseModel):
    """``mode: distributed``: the broker, the probe/metrics listener and the storage service's durable queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bus: RabbitMqSettings = RabbitMqSettings()
    health_host: str = "127.0.0.1"  # 0.0.0.0 in a container, so the orchestrator's probes reach it
    ports: ServicePorts = ServicePorts()
    storage_queue: str = Field("storage.md", min_length=1)
    probe_timeout_s: float = Field(2.0, gt=0)
