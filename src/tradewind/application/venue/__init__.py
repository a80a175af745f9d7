"""The simulated venue: accounts, orders, fills, fees and positions on the simulator's engines, in its own terms.

Every name loads its module on first use, so reading ``VenueSettings`` with the configuration stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.application.venue.events import ExecutionEvent as ExecutionEvent
    from tradewind.application.venue.events import FillSplitter as FillSplitter
    from tradewind.application.venue.events import OrderEvent as OrderEvent
    from tradewind.application.venue.events import PositionEvent as PositionEvent
    from tradewind.application.venue.events import ReportListener as ReportListener
    from tradewind.application.venue.events import VenueEvent as VenueEvent
    from tradewind.application.venue.events import VenueListener as VenueListener
    from tradewind.application.venue.events import WalletEvent as WalletEvent
    from tradewind.application.venue.model import CancelCause as CancelCause
    from tradewind.application.venue.model import CoinView as CoinView
    from tradewind.application.venue.model import Execution as Execution
    from tradewind.application.venue.model import MarketUnit as MarketUnit
    from tradewind.application.venue.model import NoFillReason as NoFillReason
    from tradewind.application.venue.model import Order as Order
    from tradewind.application.venue.model import OrderRef as OrderRef
    from tradewind.application.venue.model import OrderRequest as OrderRequest
    from tradewind.application.venue.model import PositionView as PositionView
    from tradewind.application.venue.model import RejectCode as RejectCode
    from tradewind.application.venue.model import Transaction as Transaction
    from tradewind.application.venue.model import TransactionType as TransactionType
    from tradewind.application.venue.model import VenueError as VenueError
    from tradewind.application.venue.model import VenueOrderStatus as VenueOrderStatus
    from tradewind.application.venue.model import WalletView as WalletView
    from tradewind.application.venue.service import SimVenue as SimVenue
    from tradewind.application.venue.service import UnknownAccount as UnknownAccount
    from tradewind.application.venue.settings import AccountSettings as AccountSettings
    from tradewind.application.venue.settings import FeeSettings as FeeSettings
    from tradewind.application.venue.settings import VenueSettings as VenueSettings

_LAZY = LazyNames(
    __name__,
    {
        "events": ("ExecutionEvent", "FillSplitter", "OrderEvent", "PositionEvent", "ReportListener", "VenueEvent",
                   "VenueListener", "WalletEvent"),
        "model": ("CancelCause", "CoinView", "Execution", "MarketUnit", "NoFillReason", "Order", "OrderRef",
                  "OrderRequest", "PositionView", "RejectCode", "Transaction", "TransactionType", "VenueError",
                  "VenueOrderStatus", "WalletView"),
        "service": ("SimVenue", "UnknownAccount"),
        "settings": ("AccountSettings", "FeeSettings", "VenueSettings"),
    },
)  # fmt: skip
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
