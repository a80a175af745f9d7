"""Configuration of ``tradewind sim-exchange`` (the ``sim_exchange`` key): where it listens and each face's settings."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.bybit_v5.settings import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings
from tradewind.interfaces.sim_exchange.faults.settings import FaultSettings


class SimExchangeSettings(BaseModel):
    """The ``tradewind sim-exchange`` server: host, port, limits, streams, its Binance face, faults (not accounts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=1024**2, ge=1024)  # a larger REST body is refused with HTTP 413
    max_number: Decimal = Field(default=Decimal(10**12), gt=0, allow_inf_nan=False)  # larger prices / sizes: refused
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    websocket: WebSocketSettings = Field(default_factory=WebSocketSettings)
    binance: BinanceSpotSettings = Field(default_factory=BinanceSpotSettings)
    faults: FaultSettings = Field(default_factory=FaultSettings)  # none by default; see docs/sim-exchange.md "Faults"
