"""Settings of the distributed mode: the RabbitMQ bus and where each service serves its probes and metrics."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings

Port = Annotated[int, Field(ge=0, le=65535)]
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class DistributedSettings(BaseModel):
    """``mode: distributed``: the broker, the probe/metrics listener and the storage service's durable queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bus: RabbitMqSettings = RabbitMqSettings()
    health_host: str = "127.0.0.1"  # 0.0.0.0 in a container, so the orchestrator's probes reach it
    # Health/metrics port by service name, overriding the registry's default (0 picks a free one); the names are
    # checked against the service registry when a service starts (bootstrap.registry), which knows them all.
    ports: dict[str, Port] = Field(default_factory=dict)
    storage_queue: str = Field("storage.md", min_length=1)
    probe_timeout_s: float = Field(2.0, gt=0)
    # Where the gateway's System panel reaches each service's probes, by service name (default 127.0.0.1); in
    # docker-compose or Kubernetes the service's own host name.
    service_hosts: dict[str, str] = Field(default_factory=dict)

    @field_validator("ports", "service_hosts", mode="before")
    @classmethod
    def _service_names(cls, value: object) -> object:
        """``twap_scheduler`` (YAML, environment) and ``twap-scheduler`` (the service's name) are the same key."""
        if not isinstance(value, dict):
            return value
        named = {str(key).lower().replace("_", "-"): port for key, port in value.items()}
        for key in named:
            if not _SERVICE_NAME.match(key):
                raise ValueError(f"{key!r} is not a service name")
        return named
