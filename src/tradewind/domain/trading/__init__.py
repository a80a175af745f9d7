"""Signal trading's position rules: deals, protection levels, PnL and what a BUY is allowed."""

from tradewind.domain.trading.deals import (
    HOLDING,
    CloseReason,
    Deal,
    DealStatus,
    Protection,
    StopReached,
    TrailCatchUp,
    deal_client_order_id,
    fee_in_quote,
    first_stop,
    protection_levels,
    stop_through,
    trail_through,
    trailing_level,
)
from tradewind.domain.trading.pnl import OpenPosition, PnlReport, SourcePnl, pnl_report
from tradewind.domain.trading.status import PositionStatus, position_status

__all__ = [
    "HOLDING",
    "CloseReason",
    "Deal",
    "DealStatus",
    "OpenPosition",
    "PnlReport",
    "PositionStatus",
    "Protection",
    "SourcePnl",
    "StopReached",
    "TrailCatchUp",
    "deal_client_order_id",
    "fee_in_quote",
    "first_stop",
    "pnl_report",
    "position_status",
    "protection_levels",
    "stop_through",
    "trail_through",
    "trailing_level",
]
