"""Configuration of the Binance spot face of ``tradewind sim-exchange`` (the ``sim_exchange.binance`` key)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BinanceSpotSettings(BaseModel):
    """Whether the Binance spot protocol is served beside Bybit's, its request-weight limit and stream cadence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    weight_limit: int = Field(default=6000, ge=1)  # request weight per key (or client address) per window
    weight_window_ms: int = Field(default=60_000, ge=1)  # Binance's REQUEST_WEIGHT interval: one minute
    depth_interval_ms: int = Field(default=1000, ge=1)  # ``<symbol>@depth``
    fast_depth_interval_ms: int = Field(default=100, ge=1)  # ``<symbol>@depth@100ms``
    trade_interval_ms: int = Field(default=10, ge=1)  # ``<symbol>@trade`` and ``@bookTicker`` (real time on Binance)
    ticker_interval_ms: int = Field(default=1000, ge=1)  # ``<symbol>@ticker``
    ping_interval_s: float = Field(default=20.0, gt=0)  # the server pings every connection this often
    max_streams: int = Field(default=1024, ge=1)  # streams per connection, as Binance
    send_queue_limit: int = Field(default=20_000, ge=1)  # messages queued for a slow client before it is dropped
    max_frame_bytes: int = Field(default=1024**2, ge=1024)  # a larger client frame closes the connection with 1009
