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
    # Slices handled at once by one ordering service: slices of different jobs never wait for each other's orders
    # (one job has at most one slice in flight, so its slices keep their order).
    slice_concurrency: int = Field(16, ge=1, le=1000)
    # A slice whose exchange does not answer waits (first pause, doubling up to the most) instead of failing.
    not_ready_backoff_s: float = Field(1.0, gt=0)
    not_ready_backoff_max_s: float = Field(2.0, gt=0)
    # The most one slice's order may carry, in slices' worth of the job: after downtime the missed quantity beyond it
    # is spread over the slices left instead of going out as one large order.
    catch_up_max_slices: float = Field(3.0, ge=1)
