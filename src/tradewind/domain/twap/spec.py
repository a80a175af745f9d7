"""The TWAP job as the user asks for it, and its validation with messages that say what to change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.ids import JobId
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, Side

_JOB_ID = re.compile(r"^[a-z0-9]{1,16}$")


class TwapSpecError(ValueError):
    """The job cannot run as asked; the message names the field and what to change."""


class LimitPolicy(StrEnum):
    """What a slice does when the price is beyond the limit: stop the job, or skip the slice and go on."""

    STOP = "stop"
    SKIP = "skip"


class CatchUpPolicy(StrEnum):
    """After downtime: send every missed slice's quantity at once, or spread it over the slices left."""

    CATCH_UP = "catch_up"
    SKIP = "skip"


class OrderStyle(StrEnum):
    """Market order; IOC limit at most ``max_slippage_bps`` through the touch; or a passive post-only limit."""

    MARKET = "market"
    MARKETABLE_LIMIT = "marketable_limit"
    PASSIVE_LIMIT = "passive_limit"


def twap_job_id(value: str) -> JobId:
    """A TWAP job id: 1-16 lowercase letters or digits, as it goes into client order ids."""
    if not _JOB_ID.fullmatch(value):
        raise TwapSpecError(f"job id {value!r} must be 1-16 lowercase letters or digits")
    return JobId(value)


@dataclass(frozen=True, slots=True)
class TwapSpec:
    """What to execute. Exactly one of ``quantity`` (base) and ``notional`` (quote) is set."""

    exchange: str
    category: Category
    symbol: str
    side: Side
    runtime_s: int
    slices: int
    quantity: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    limit_policy: LimitPolicy = LimitPolicy.STOP
    catch_up: CatchUpPolicy = CatchUpPolicy.CATCH_UP
    order_style: OrderStyle = OrderStyle.MARKET
    max_slippage_bps: Decimal = Decimal(50)
    size_jitter: Decimal = Decimal(0)
    time_jitter: Decimal = Decimal(0)
    seed: int = 0
    allow_insufficient: bool = False  # start even when the account's free balance cannot cover the whole job

    @property
    def interval_ns(self) -> int:
        return self.runtime_s * 1_000_000_000 // self.slices


def slices_for(runtime_s: int, *, interval_s: int | None = None, slices: int | None = None) -> int:
    """Number of slices from either an interval or a count; exactly one must be given."""
    if (interval_s is None) == (slices is None):
        given = "neither was given" if slices is None else "not both"
        raise TwapSpecError(
            f"give either an interval (interval_s, --interval) or a number of slices (slices, --slices): {given}"
        )
    if slices is not None:
        if slices < 1:
            raise TwapSpecError(f"slices must be at least 1, got {slices}")
        return slices
    assert interval_s is not None
    if interval_s <= 0:
        raise TwapSpecError(f"interval must be a positive number of seconds, got {interval_s}")
    if runtime_s < interval_s:
        raise TwapSpecError(
            f"runtime {runtime_s} s is shorter than one interval of {interval_s} s: "
            "lengthen the runtime or shorten the interval"
        )
    return runtime_s // interval_s


def validate(spec: TwapSpec, instrument: Instrument, reference_price: Decimal | None = None) -> Decimal:
    """Check ``spec`` against ``instrument``; return the total base quantity on the qty step.

    A notional job is converted at ``reference_price`` (the arrival price), which must then be given.
    """
    if spec.runtime_s <= 0:
        raise TwapSpecError(f"runtime must be a positive number of seconds, got {spec.runtime_s}")
    if spec.slices < 1:
        raise TwapSpecError(f"slices must be at least 1, got {spec.slices}")
    if spec.interval_ns < 1_000_000_000:
        raise TwapSpecError(
            f"{spec.slices} slices over {spec.runtime_s} s is less than one second apart: use fewer slices"
        )
    for name in ("size_jitter", "time_jitter"):
        value = getattr(spec, name)
        if not Decimal(0) <= value < Decimal(1):
            raise TwapSpecError(f"{name} must be a fraction in [0, 1), got {value}")
    if spec.max_slippage_bps <= 0:
        raise TwapSpecError(f"max slippage must be a positive number of basis points, got {spec.max_slippage_bps}")
    if spec.limit_price is not None:
        if spec.limit_price <= 0:
            raise TwapSpecError(f"price limit must be positive, got {spec.limit_price}")
        if instrument.round_price(spec.limit_price) != spec.limit_price:
            raise TwapSpecError(
                f"price limit {spec.limit_price} is not on {spec.symbol}'s tick size {instrument.tick_size}: "
                f"use e.g. {instrument.round_price(spec.limit_price)}"
            )
    total = _total_quantity(spec, instrument, reference_price)
    per_slice = total / spec.slices
    if per_slice * (1 - spec.size_jitter) < instrument.min_qty:
        most = int(total / instrument.min_qty * (1 - spec.size_jitter)) if instrument.min_qty > 0 else spec.slices
        hint = f"use at most {most} slices" if most >= 1 else "raise the total size"
        raise TwapSpecError(
            f"each slice would be about {per_slice.normalize()} {instrument.base}, below {spec.symbol}'s minimum "
            f"order of {instrument.min_qty}: {hint} (or raise the total)"
        )
    smallest = per_slice * (1 - spec.size_jitter)
    if (
        reference_price is not None
        and instrument.min_notional > 0
        and smallest * reference_price < instrument.min_notional
    ):
        value = (smallest * reference_price).quantize(Decimal("0.01"))
        most = int(total * reference_price * (1 - spec.size_jitter) / instrument.min_notional)
        hint = f"use at most {most} slices" if most >= 1 else "raise the total size"
        raise TwapSpecError(
            f"each slice would be worth about {value} {instrument.quote}, below {spec.symbol}'s minimum order value "
            f"of {instrument.min_notional} {instrument.quote}: {hint}"
        )
    if total > instrument.max_qty * spec.slices:
        raise TwapSpecError(
            f"each slice would be above {spec.symbol}'s maximum order of {instrument.max_qty}: use more slices"
        )
    return total


# Linear contracts need margin, not the notional: checked at 10x leverage (a tenth of the notional), a floor that
# catches a job the account could never carry without the gateway knowing each account's leverage.
LINEAR_MARGIN_RATE = Decimal("0.1")


def funds_needed(spec: TwapSpec, instrument: Instrument, total: Decimal, price: Decimal) -> tuple[str, Decimal]:
    """The coin and amount the whole job needs free: the quote to buy, the base to sell, or linear margin."""
    if instrument.category is Category.LINEAR:
        return instrument.quote, total * price * LINEAR_MARGIN_RATE
    if spec.side is Side.BUY:
        return instrument.quote, total * price
    return instrument.base, total


def _total_quantity(spec: TwapSpec, instrument: Instrument, reference_price: Decimal | None) -> Decimal:
    if (spec.quantity is None) == (spec.notional is None):
        raise TwapSpecError("give exactly one of a base quantity (--qty) and a quote notional (--notional)")
    if spec.quantity is not None:
        if spec.quantity <= 0:
            raise TwapSpecError(f"size must be positive, got {spec.quantity}: give a quantity above zero")
        total = instrument.floor_qty(spec.quantity)
        if total != spec.quantity:
            raise TwapSpecError(
                f"size {spec.quantity} is not a multiple of {spec.symbol}'s quantity step {instrument.qty_step}: "
                f"use e.g. {total}"
            )
        return total
    assert spec.notional is not None
    if spec.notional <= 0:
        raise TwapSpecError(f"notional must be positive, got {spec.notional}: give an amount above zero")
    if reference_price is None or reference_price <= 0:
        raise TwapSpecError("a notional job needs the current price to size it; no price is available")
    total = instrument.floor_qty(spec.notional / reference_price)
    if total <= 0:
        raise TwapSpecError(f"notional {spec.notional} {instrument.quote} buys less than one quantity step")
    return total
