"""The opportunity maths: entry and exit spreads in bps, fees of both legs, and clips walked level by level.

A spread buys the ``long`` leg at its ask and sells the ``short`` leg at its bid (entry), later sells the long at
its bid and buys the short back at its ask (exit). Everything is Decimal; quantities land on both legs' lot grids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.instruments import Instrument
from tradewind.domain.market import Level

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Fees:
    """Taker fee of each leg in bps of its notional."""

    long_bps: Decimal
    short_bps: Decimal

    @property
    def round_trip_bps(self) -> Decimal:
        """Both legs in and out, as bps of one leg's notional (the two prices are within a few bps)."""
        return 2 * (self.long_bps + self.short_bps)

    def amount(self, qty: Decimal, long_price: Decimal, short_price: Decimal) -> Decimal:
        """Fees of one clip of both legs, in quote currency."""
        return qty * (long_price * self.long_bps + short_price * self.short_bps) / BPS


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Open when the entry spread net of round-trip fees reaches ``open_bps``; close when the round trip nets at
    least ``close_profit_bps`` after fees, or the exit spread is at or under ``close_target_bps`` when set.

    The gap between the two is the hysteresis: a spread hovering at the open threshold does not close at once.
    """

    open_bps: Decimal
    close_profit_bps: Decimal = Decimal(0)
    close_target_bps: Decimal | None = None

    def __post_init__(self) -> None:
        if self.open_bps <= 0:
            raise ValueError(f"open_bps must be positive, got {self.open_bps}")
        if self.close_profit_bps < 0:
            raise ValueError(f"close_profit_bps must not be negative, got {self.close_profit_bps}")


@dataclass(frozen=True, slots=True)
class Clip:
    """One level pair's worth of both legs: the same quantity, each at its own price."""

    qty: Decimal
    long_price: Decimal
    short_price: Decimal
    edge_bps: Decimal  # entry: net edge; exit: net profit per unit, both in bps of the long price


def entry_bps(long_ask: Decimal, short_bid: Decimal) -> Decimal:
    """What opening earns gross: sell the short at its bid, buy the long at its ask, in bps of the long price."""
    return (short_bid - long_ask) / long_ask * BPS


def exit_bps(long_bid: Decimal, short_ask: Decimal) -> Decimal:
    """What closing costs gross: buy the short back at its ask, sell the long at its bid."""
    return (short_ask - long_bid) / long_bid * BPS


def common_qty(qty: Decimal, long: Instrument, short: Instrument) -> Decimal | None:
    """``qty`` floored onto both legs' lot grids and capped by both maxima; None when under a leg's minimum."""
    capped = min(qty, long.max_qty, short.max_qty)
    floored = short.floor_qty(long.floor_qty(capped))
    while floored > 0 and (long.floor_qty(floored) != floored or short.floor_qty(floored) != floored):
        floored = short.floor_qty(long.floor_qty(floored))  # grids not nested: settle on a value both accept
    if floored <= 0 or floored < long.min_qty or floored < short.min_qty:
        return None
    return floored


def _walk(
    first: Sequence[Level], second: Sequence[Level], limit: Decimal, long: Instrument, short: Instrument
) -> list[tuple[Decimal, Decimal, Decimal]]:
    """Level pairs of two books, best first, as (qty, first price, second price), up to ``limit`` in total."""
    out: list[tuple[Decimal, Decimal, Decimal]] = []
    i = j = 0
    left_a = first[0][1] if first else Decimal(0)
    left_b = second[0][1] if second else Decimal(0)
    total = Decimal(0)
    while i < len(first) and j < len(second) and total < limit:
        qty = common_qty(min(left_a, left_b, limit - total), long, short)
        if qty is None:
            break  # the rest of this level pair is below a leg's minimum: deeper levels are worse anyway
        out.append((qty, first[i][0], second[j][0]))
        total += qty
        left_a -= qty
        left_b -= qty
        if not common_qty(left_a, long, short):
            i += 1
            left_a = first[i][1] if i < len(first) else Decimal(0)
        if not common_qty(left_b, long, short):
            j += 1
            left_b = second[j][1] if j < len(second) else Decimal(0)
    return out


def opening_clips(
    long_asks: Sequence[Level],
    short_bids: Sequence[Level],
    fees: Fees,
    thresholds: Thresholds,
    *,
    long: Instrument,
    short: Instrument,
    max_qty: Decimal,
) -> list[Clip]:
    """Clips to open, best first, while each one's entry spread net of round-trip fees reaches the threshold."""
    clips = []
    for qty, ask, bid in _walk(long_asks, short_bids, max_qty, long, short):
        edge = entry_bps(ask, bid) - fees.round_trip_bps
        if edge < thresholds.open_bps:
            break
        clips.append(Clip(qty, ask, bid, edge))
    return clips


def closing_clips(
    long_bids: Sequence[Level],
    short_asks: Sequence[Level],
    fees: Fees,
    thresholds: Thresholds,
    *,
    open_qty: Decimal,
    long_entry: Decimal,
    short_entry: Decimal,
    long: Instrument,
    short: Instrument,
) -> list[Clip]:
    """Clips to close (up to ``open_qty``), best first, while each one's round trip is worth closing."""
    clips = []
    for qty, bid, ask in _walk(long_bids, short_asks, open_qty, long, short):
        per_unit = (short_entry - ask) + (bid - long_entry)
        per_unit -= (long_entry + bid) * fees.long_bps / BPS + (short_entry + ask) * fees.short_bps / BPS
        profit_bps = per_unit / long_entry * BPS
        at_target = thresholds.close_target_bps is not None and exit_bps(bid, ask) <= thresholds.close_target_bps
        if profit_bps < thresholds.close_profit_bps and not at_target:
            break
        clips.append(Clip(qty, bid, ask, profit_bps))
    return clips
