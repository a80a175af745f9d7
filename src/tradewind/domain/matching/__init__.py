"""Price-time priority matching engine, in integer ticks and lots."""

from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.matching.events import (
    Fill,
    L2Snapshot,
    LevelChange,
    OrderStatus,
    RejectReason,
    Report,
    RestingOrderView,
)

__all__ = [
    "Fill",
    "L2Snapshot",
    "LevelChange",
    "MatchingEngine",
    "OrderStatus",
    "RejectReason",
    "Report",
    "RestingOrderView",
]
