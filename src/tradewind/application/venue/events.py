"""What the venue tells its listeners (the private WebSocket): typed events, one batch per operation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tradewind.application.venue.model import Execution, Order, PositionView, WalletView
from tradewind.domain.instruments import Instrument
from tradewind.domain.matching.events import Report

L = TypeVar("L")


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order was created or changed (``order`` is its new state)."""

    account: str
    order: Order


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    """One of the account's orders was filled, in part or in full."""

    account: str
    execution: Execution


@dataclass(frozen=True, slots=True)
class PositionEvent:
    """A linear position changed, or one of its orders was created, amended or cancelled."""

    account: str
    position: PositionView


@dataclass(frozen=True, slots=True)
class WalletEvent:
    """The account's balances, locks or margin changed."""

    account: str
    wallet: WalletView


VenueEvent = OrderEvent | ExecutionEvent | PositionEvent | WalletEvent

# Called once per venue operation with all its events in Bybit's order: executions, orders, positions, wallets.
VenueListener = Callable[[Sequence[VenueEvent]], None]

# Called with every engine Report the venue itself produced (so the simulator can publish market data).
ReportListener = Callable[[Instrument, Report], None]

# Cuts one taker fill (account, instrument, lots) into the lot sizes of its executions; None leaves it whole.
# The simulated exchange's ``odd_partial_fills`` fault sets one; the pieces must sum to the fill's lots.
FillSplitter = Callable[[str, Instrument, int], Sequence[int] | None]


def listen(listeners: list[L], listener: L) -> Callable[[], None]:
    """Add ``listener`` to ``listeners``; the function returned takes it out again (once, harmless after)."""
    listeners.append(listener)

    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove
