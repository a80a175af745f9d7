"""Configuration of the Bybit-protocol WebSocket streams: push intervals, limits and timeouts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _book_intervals() -> dict[int, int]:
    # Bybit's push interval (ms) per ``orderbook.{depth}`` stream of spot / linear / inverse.
    return {1: 10, 50: 20, 200: 100, 1000: 200}


class WebSocketSettings(BaseModel):
    """How often each public stream is pushed and how a connection is bounded (the ``sim_exchange.websocket`` key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    book_interval_ms: dict[int, int] = Field(default_factory=_book_intervals)
    depth1_refresh_ms: int = Field(default=3000, ge=1)  # an unchanged depth-1 snapshot is re-sent this often
    trade_interval_ms: int = Field(default=10, ge=1)
    spot_ticker_interval_ms: int = Field(default=50, ge=1)
    linear_ticker_interval_ms: int = Field(default=100, ge=1)
    spot_max_args: int = Field(default=10, ge=1)  # topics per subscribe request on spot
    idle_timeout_s: float = Field(default=600.0, gt=0)  # no message from the client for this long: closed
    send_queue_limit: int = Field(default=20_000, ge=1)  # messages queued for a slow client before it is dropped
    max_frame_bytes: int = Field(default=1024**2, ge=1024)  # a larger client frame closes the connection with 1009
    auth_max_ahead_ms: int = Field(default=60_000, ge=1000)  # ``auth`` with ``expires`` further ahead is refused
    # Book ``u``: the engine's sequence (monotonic, with holes between pushes), or, as on Bybit, one more per message
    # of the stream, so a lost delta shows as a hole (what the drop_delta fault is checked with).
    book_u_contiguous: bool = False

    @field_validator("book_interval_ms")
    @classmethod
    def _valid_depths(cls, value: dict[int, int]) -> dict[int, int]:
        if not value:
            raise ValueError("book_interval_ms needs at least one depth")
        for depth, interval in value.items():
            if depth < 1:
                raise ValueError(f"order book depth must be >= 1, got {depth}")
            if interval < 1:
                raise ValueError(f"push interval of orderbook.{depth} must be >= 1 ms, got {interval}")
        return value
