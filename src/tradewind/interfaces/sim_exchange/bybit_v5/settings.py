"""Configuration of the Bybit face's REST rate limits (the ``sim_exchange.rate_limits`` key)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _default_limits() -> dict[str, int]:
    # Bybit's UTA Pro limits per UID (reference section 4); ``:spot`` entries override the path's.
    return {
        "/v5/order/create": 10,
        "/v5/order/create:spot": 20,
        "/v5/order/amend": 10,
        "/v5/order/cancel": 10,
        "/v5/order/cancel:spot": 20,
        "/v5/order/cancel-all": 10,
        "/v5/order/cancel-all:spot": 20,
        "/v5/order/realtime": 50,
        "/v5/order/history": 50,
        "/v5/execution/list": 50,
        "/v5/position/list": 50,
        "/v5/position/trading-stop": 10,
        "/v5/position/set-leverage": 10,
        "/v5/account/wallet-balance": 50,
    }


class RateLimitSettings(BaseModel):
    """Rolling-window limits per API key and endpoint; a breach answers retCode 10006."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    window_ms: int = Field(default=1000, ge=1)
    default_limit: int = Field(default=50, ge=1)  # private endpoints not listed in ``limits``
    limits: dict[str, int] = Field(default_factory=_default_limits)

    @field_validator("limits")
    @classmethod
    def _valid(cls, value: dict[str, int]) -> dict[str, int]:
        for bucket, limit in value.items():
            if not bucket.startswith("/v5/"):
                raise ValueError(f"rate limit keys are paths like /v5/order/create[:spot], got {bucket!r}")
            if limit < 1:
                raise ValueError(f"rate limit of {bucket} must be >= 1, got {limit}")
        return value
