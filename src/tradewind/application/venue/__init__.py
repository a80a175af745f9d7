"""The simulated venue: accounts, orders, fills, fees and positions on the simulator's engines, in its own terms.

Every name loads its module on first use, so reading ``VenueSettings`` with the configuration stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from tradewind.application.venue.service import SimVenue, UnknownAccount
    from tradewind.application.venue.settings import AccountSettings, FeeSettings, VenueSettings

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


_EVENTS = ("ExecutionEvent", "FillSplitter", "OrderEvent", "PositionEvent", "ReportListener", "VenueEvent",
           "VenueListener", "WalletEvent")  # fmt: skip
_SETTINGS = ("AccountSettings", "FeeSettings", "VenueSettings")
_MODULES = {
    **dict.fromkeys(_EVENTS, "events"), **dict.fromkeys(_SETTINGS, "settings"),
    **dict.fromkeys(("SimVenue", "UnknownAccount"), "service"),
}  # fmt: skip


def __getattr__(name: str) -> object:
    if name in __all__:
        return getattr(import_module(f"{__name__}.{_MODULES.get(name, 'model')}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
