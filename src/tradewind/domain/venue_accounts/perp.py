"""Perpetual mechanics as Bybit documents them: premium index, funding rate, mark price, funding, liquidation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, localcontext

from tradewind.domain.venue_accounts.money import ZERO, exact_context

RATE_QUANTUM = Decimal("0.00000001")  # Bybit shows funding rates with 8 decimals at most
PAYMENT_QUANTUM = Decimal("0.00000001")  # funding moves USDT to 1e-8
PRICE_QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class FundingParams:
    """Bybit's USDT perpetual defaults: 8 h interval, interest 0.01 % per interval, the I - P clamp ±0.05 %,
    the rate capped at ±0.375 % (0.75 × (initial − maintenance margin rate) for BTCUSDT's first risk tier)."""

    interval_ms: int = 8 * 3_600_000
    interest_rate: Decimal = Decimal("0.0001")
    clamp: Decimal = Decimal("0.0005")
    cap: Decimal = Decimal("0.00375")
    maintenance_rate: Decimal = Decimal("0.005")  # maintenance margin: 0.5 % of the position value (tier 1)

    def __post_init__(self) -> None:
        if self.interval_ms <= 0:
            raise ValueError(f"funding interval must be positive, got {self.interval_ms} ms")
        if self.clamp < 0 or self.cap <= 0 or not 0 < self.maintenance_rate < 1:
            raise ValueError("funding clamp must be >= 0, cap > 0 and maintenance rate in (0, 1)")


def premium_index(impact_bid: Decimal, impact_ask: Decimal, index: Decimal) -> Decimal:
    """P = [max(0, impact bid − index) − max(0, index − impact ask)] / index."""
    if index <= 0:
        raise ValueError(f"index price must be positive, got {index}")
    raw = max(ZERO, impact_bid - index) - max(ZERO, index - impact_ask)
    return (raw / index).quantize(Decimal("1e-12"), rounding=ROUND_HALF_EVEN)


def funding_rate(average_premium: Decimal, params: FundingParams) -> Decimal:
    """F = P + clamp(I − P, −0.05 %, +0.05 %), then capped at ±cap, to 8 decimals."""
    p = average_premium
    adjusted = p + min(max(params.interest_rate - p, -params.clamp), params.clamp)
    capped = min(max(adjusted, -params.cap), params.cap)
    return capped.quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN).normalize() + 0


def funding_payment(size: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    """What the position pays (positive) or receives (negative): signed size × mark × rate, to 1e-8.

    Longs pay shorts when the rate is positive; rounding is toward the payer's benefit never, half-even always.
    """
    with localcontext(exact_context()):
        exact = size * mark * rate
    return exact.quantize(PAYMENT_QUANTUM, rounding=ROUND_HALF_EVEN)


def next_funding_ms(now_ms: int, interval_ms: int) -> int:
    """The next settlement time strictly after ``now_ms`` (00:00, 08:00 and 16:00 UTC for 8 h)."""
    return now_ms - now_ms % interval_ms + interval_ms


def mark_price(
    index: Decimal, last_rate: Decimal, *, ms_to_funding: int, interval_ms: int, basis: Decimal, last: Decimal | None
) -> Decimal:
    """Median of index × (1 + rate × time left / interval), index + basis (its moving average) and the last trade."""
    p1 = index * (1 + last_rate * Decimal(ms_to_funding) / Decimal(interval_ms))
    p2 = index + basis
    p3 = last if last is not None else (p1 + p2) / 2
    return sorted((p1, p2, p3))[1].quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def liquidation_price(
    entry_price: Decimal, long: bool, leverage: Decimal, maintenance_rate: Decimal, tick: Decimal
) -> Decimal:
    """Isolated margin: long = entry × (1 − 1/leverage + MMR), short = entry × (1 + 1/leverage − MMR).

    Rounded to the tick away from the entry's danger side (up for a long, down for a short), as Bybit shows it.
    """
    im_rate = 1 / leverage
    raw = entry_price * (1 - im_rate + maintenance_rate) if long else entry_price * (1 + im_rate - maintenance_rate)
    rounding = ROUND_UP if long else ROUND_DOWN
    return max((raw / tick).quantize(Decimal(1), rounding=rounding) * tick, ZERO)


def bankruptcy_price(entry_price: Decimal, long: bool, leverage: Decimal) -> Decimal:
    """Where the isolated margin is gone: long = entry × (1 − 1/leverage), short = entry × (1 + 1/leverage)."""
    im_rate = 1 / leverage
    raw = entry_price * (1 - im_rate) if long else entry_price * (1 + im_rate)
    return max(raw.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN), ZERO)


def maintenance_margin(size: Decimal, mark: Decimal, maintenance_rate: Decimal) -> Decimal:
    with localcontext(exact_context()):
        return abs(size) * mark * maintenance_rate
