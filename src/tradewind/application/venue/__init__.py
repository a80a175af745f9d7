"""The simulated venue: accounts, orders, fills, fees and positions on the simulator's engines, in its own terms."""

from tradewind.application.venue.events import (
    ExecutionEvent,
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
    "UnknownAccount",
    "VenueError",
    "VenueEvent",
    "VenueListener",
    "VenueOrderStatus",
    "VenueSettings",
    "WalletEvent",
    "WalletView",
]
