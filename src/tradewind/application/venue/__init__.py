"""The simulated venue: accounts, orders, fills, fees and positions on the simulator's engines, in its own terms.

The service loads on first use, so reading ``VenueSettings`` with the configuration stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tradewind.application.venue.events import (
    ExecutionEvent,
    FillSplitter,
    OrderEvent,
    PositionEvent,
    ReportListener,
    VenueEvent,
    VenueListener,
    WalletEvent,
)
from tradewind.application.venue.model import (
    CancelCause,
    CoinView,
    Execution,
    MarketUnit,
    NoFillReason,
    Order,
    OrderRef,
    OrderRequest,
    PositionView,
    RejectCode,
    Transaction,
    TransactionType,
    VenueError,
    VenueOrderStatus,
    WalletView,
)
from tradewind.application.venue.settings import AccountSettings, FeeSettings, VenueSettings

if TYPE_CHECKING:
    from tradewind.application.venue.service import SimVenue, UnknownAccount

__all__ = [
    "AccountSettings",
    "CancelCause",
    "CoinView",
    "Execution",
    "ExecutionEvent",
    "FeeSettings",
    "FillSplitter",
    "MarketUnit",
    "NoFillReason",
    "Order",
    "OrderEvent",
    "OrderRef",
    "OrderRequest",
    "PositionEvent",
    "PositionView",
    "RejectCode",
    "ReportListener",
    "SimVenue",
    "Transaction",
    "TransactionType",
    "UnknownAccount",
    "VenueError",
    "VenueEvent",
    "VenueListener",
    "VenueOrderStatus",
    "VenueSettings",
    "WalletEvent",
    "WalletView",
]


def __getattr__(name: str) -> object:
    if name in ("SimVenue", "UnknownAccount"):
        return getattr(import_module(f"{__name__}.service"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
