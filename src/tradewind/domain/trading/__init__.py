"""Signal trading's position rules: deals, protection levels, PnL and what a BUY is allowed."""

from tradewind.domain.trading.deals import (
    HOLDING,
    CloseReason,
    Deal,
    DealStatus,
    Protection,
    TrailCatchUp,
    deal_client_order_id,
    fee_in_quote,
    protection_levels,
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
    "TrailCatchUp",
    "deal_client_order_id",
    "fee_in_quote",
    "pnl_report",
    "position_status",
    "protection_levels",
    "trail_through",
    "trailing_level",
]
