"""TWAP configuration: queue names, order polling and retry bounds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TwapSettings(BaseModel):
    """``slice_queue`` is the work queue the ordering services share; times are in clock seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slice_queue: str = "twap.slice"
    order_poll_s: float = Field(1.0, gt=0)
    order_wait_s: float = Field(10.0, gt=0)
    passive_margin_s: float = Field(1.0, ge=0)
    last_slice_attempts: int = Field(3, ge=1, le=20)
    redispatch_after_s: float = Field(60.0, gt=0)
    # Live runs: the scheduler re-reads the jobs this often even when no wake-up or message came
    # (a job created by another process whose bus does not reach this one).
    wake_poll_s: float = Field(10.0, gt=0)
