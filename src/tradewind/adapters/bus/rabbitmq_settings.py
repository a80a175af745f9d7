"""The RabbitMQ bus's settings: read with the configuration, without importing the AMQP client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.adapters.logging.redaction import mask_url


class RabbitMqSettings(BaseModel):
    """Broker address, exchange names and delivery limits of :class:`RabbitMqBus`."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # the url holds a password

    url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = Field("tradewind.events", min_length=1, max_length=255)
    dead_letter_exchange: str = Field("tradewind.dead-letters", min_length=1, max_length=255)
    prefetch: int = Field(64, ge=1, le=65_535)
    max_retries: int = Field(3, ge=0)
    request_timeout: float = Field(5.0, gt=0)
    publish_timeout: float = Field(30.0, gt=0, description="how long a publish waits for a broker that is away")
    connect_timeout: float = Field(5.0, gt=0)
    reconnect_interval: float = Field(1.0, gt=0)

    @field_validator("url")
    @classmethod
    def _amqp_url(cls, url: str) -> str:
        from yarl import URL  # only where a url is configured: the reading verbs never parse one

        if URL(url).scheme not in ("amqp", "amqps") or not URL(url).host:
            raise ValueError(f"RabbitMQ url must be an amqp:// or amqps:// URL with a host, got {mask_url(url)!r}")
        return url

    @field_validator("exchange", "dead_letter_exchange")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name.startswith("amq."):
            raise ValueError(f"exchange name {name!r} is reserved by RabbitMQ (amq.*)")
        return name

    @model_validator(mode="after")
    def _distinct_exchanges(self) -> RabbitMqSettings:
        if self.exchange == self.dead_letter_exchange:
            raise ValueError(f"exchange and dead_letter_exchange must differ, both are {self.exchange!r}")
        return self
