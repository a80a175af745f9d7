"""Execution report maths: average price, the market's TWAP over the window, arrival price, slippage in bps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.values import Side

_BPS = Decimal(10_000)
_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FillRow:
    """One execution of a slice's order."""

    slice_index: int
    ts_ns: int
    qty: Decimal
    price: Decimal
    fee: Decimal
    trade_id: str = ""


@dataclass(frozen=True, slots=True)
class PricePoint:
    """A market price observation (a mid or a trade) at ``ts_ns``."""

    ts_ns: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class SliceRow:
    """One line of the per-slice table."""

    index: int
    status: str
    target_qty: Decimal
    filled_qty: Decimal
    avg_price: Decimal | None
    fee: Decimal


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """How a job did against the market; slippage is positive when the job did worse than the benchmark."""

    filled_qty: Decimal
    avg_price: Decimal | None
    market_twap: Decimal | None
    arrival_price: Decimal | None
    slippage_vs_twap_bps: Decimal | None
    slippage_vs_arrival_bps: Decimal | None
    fees: Decimal
    slices: tuple[SliceRow, ...]


def average_price(fills: Sequence[FillRow]) -> Decimal | None:
    """Quantity-weighted average fill price; None with no fills."""
    qty = sum((f.qty for f in fills), Decimal(0))
    if qty == 0:
        return None
    return sum((f.qty * f.price for f in fills), Decimal(0)) / qty


def time_weighted_price(points: Sequence[PricePoint], start_ns: int, end_ns: int) -> Decimal | None:
    """TWAP over ``[start_ns, end_ns)``: each price holds until the next point (the one before the window opens it).

    None when no price is known inside the window.
    """
    if end_ns <= start_ns:
        raise ValueError(f"empty window: {start_ns} >= {end_ns}")
    ordered = sorted(points, key=lambda p: p.ts_ns)
    weighted = Decimal(0)
    covered = 0
    for index, point in enumerate(ordered):
        nxt = ordered[index + 1].ts_ns if index + 1 < len(ordered) else end_ns
        lo, hi = max(point.ts_ns, start_ns), min(nxt, end_ns)
        if hi > lo:
            weighted += point.price * (hi - lo)
            covered += hi - lo
    if covered == 0:
        return None
    return weighted / covered


def slippage_bps(side: Side, price: Decimal | None, benchmark: Decimal | None) -> Decimal | None:
    """(price - benchmark) / benchmark in basis points, sign flipped for a sell: positive means worse."""
    if price is None or benchmark is None or benchmark == 0:
        return None
    raw = (price - benchmark) / benchmark * _BPS * side.sign
    return raw.quantize(_PLACES)


def build_report(
    side: Side,
    fills: Sequence[FillRow],
    slices: Sequence[SliceRow],
    market: Sequence[PricePoint],
    *,
    window: tuple[int, int],
    arrival_price: Decimal | None,
) -> ExecutionReport:
    """Everything in the execution report from the job's fills and the market's prices over its window."""
    avg = average_price(fills)
    twap = time_weighted_price(market, *window) if window[1] > window[0] else None
    return ExecutionReport(
        filled_qty=sum((f.qty for f in fills), Decimal(0)),
        avg_price=avg,
        market_twap=twap,
        arrival_price=arrival_price,
        slippage_vs_twap_bps=slippage_bps(side, avg, twap),
        slippage_vs_arrival_bps=slippage_bps(side, avg, arrival_price),
        fees=sum((f.fee for f in fills), Decimal(0)),
        slices=tuple(slices),
    )
