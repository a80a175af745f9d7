"""What the position manager allows for one symbol and source: the rules of a BUY as a pure function."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.trading.deals import Deal

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class PositionStatus:
    """``can_open_new``: no open position and none closed within the cooling period."""

    has_open_position: bool
    open_position: Deal | None
    recently_closed: bool
    can_open_new: bool


def position_status(
    open_position: Deal | None, last_closed_ns: int | None, now_ns: int, cooling_s: float
) -> PositionStatus:
    """The status at ``now_ns``: a close at ``last_closed_ns`` blocks a new BUY for ``cooling_s`` seconds from it."""
    recently = last_closed_ns is not None and now_ns - last_closed_ns < int(Decimal(str(cooling_s)) * _NS)
    has_open = open_position is not None
    return PositionStatus(has_open, open_position, recently, not has_open and not recently)
