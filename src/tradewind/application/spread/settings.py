"""Settings of the spread workflow (section ``spread:``): mode, thresholds, fees, freshness, limits, anti-churn."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.domain.spread.churn import ChurnRules
from tradewind.domain.spread.exposure import ExposureLimits
from tradewind.domain.spread.opportunity import Fees, Thresholds
from tradewind.domain.values import Category

_NS = 1_000_000_000


def _default_fees() -> dict[Category, Decimal]:
    return {Category.SPOT: Decimal(10), Category.LINEAR: Decimal("5.5")}  # Bybit's taker rates, as the venue's


class SpreadSettings(BaseModel):
    """Spot/perp spread arbitrage. The embedded default trades BTCUSDT in simulated mode (no exchange orders)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    mode: Literal["simulated", "real"] = "simulated"
    matching_keys: tuple[str, ...] = ("BTCUSDT",)  # groups traded; empty: every group seen on the bus
    open_bps: Decimal = Field(Decimal(5), gt=0, le=10_000)  # entry edge net of round-trip fees
    close_profit_bps: Decimal = Field(Decimal(1), ge=0, le=10_000)  # round trip net of fees, to close
    close_target_bps: Decimal | None = Field(None, ge=-10_000, le=10_000)  # or close at this exit spread
    fees_bps: dict[Category, Decimal] = Field(default_factory=_default_fees)  # taker fee of a leg, by category
    max_book_age_ms: int = Field(2_000, gt=0)  # an older book is ignored (counted as stale)
    forget_after_s: float = Field(60.0, gt=0)  # a book silent this long leaves its group
    max_spread_qty: Decimal = Field(Decimal("0.01"), gt=0)  # base quantity of one spread, scale-ins included
    max_risk_open_position: Decimal = Field(Decimal(2_000), gt=0)  # quote notional per (exchange, category, symbol)
    max_total_exposure: Decimal = Field(Decimal(4_000), gt=0)  # quote notional over every instrument
    min_hold_s: float = Field(2.0, ge=0)
    max_round_trips: int = Field(5, ge=1)  # openings per pair per window
    round_trip_window_s: float = Field(3_600.0, gt=0)
    request_timeout_s: float = Field(5.0, gt=0)  # rpc.orders; a timeout is reconciled, never taken as a NACK
    flush_interval_s: float = Field(1.0, gt=0)  # buffered DB writes retried this often while the DB is down
    funding_poll_s: float = Field(60.0, gt=0)  # real mode: the venue's funding of open legs read this often
    funding_late_s: float = Field(86_400.0, gt=0)  # a spread closed this long ago gets no funding seen since
    exchange: str | None = None  # real mode: the gateway of every leg (default: the leg's own exchange name)

    @model_validator(mode="after")
    def _check(self) -> SpreadSettings:
        for category, fee in self.fees_bps.items():
            if not 0 <= fee <= 1_000:
                raise ValueError(f"fees_bps.{category.value} must be within 0..1000, got {fee}")
        return self

    def fee_bps(self, category: Category) -> Decimal:
        return self.fees_bps.get(category, _default_fees()[category])

    def fees(self, long: Category, short: Category) -> Fees:
        return Fees(self.fee_bps(long), self.fee_bps(short))

    def thresholds(self) -> Thresholds:
        return Thresholds(self.open_bps, self.close_profit_bps, self.close_target_bps)

    def churn(self) -> ChurnRules:
        return ChurnRules(int(self.min_hold_s * _NS), self.max_round_trips, int(self.round_trip_window_s * _NS))

    def limits(self) -> ExposureLimits:
        return ExposureLimits(self.max_risk_open_position, self.max_total_exposure)
