"""The spread workflow's store: spreads, the answered requests and their legs, written one trade per transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tradewind.domain.spread.orders import (
    FundingPayment,
    SpreadAction,
    SpreadBook,
    SpreadOrder,
    SpreadQuery,
    SpreadReply,
)
from tradewind.domain.spread.position import Spread


@dataclass(frozen=True, slots=True)
class SpreadWrite:
    """One change: the spread as it now is, and the answered request (with its legs) that made it, if any."""

    spread: Spread
    reply: SpreadReply | None = None
    action: SpreadAction | None = None
    ts_ns: int = 0


@dataclass(frozen=True, slots=True)
class FundingWrite:
    """A funding payment and the spreads it changed (none: no spread held the instrument when it settled)."""

    payment: FundingPayment
    spreads: tuple[Spread, ...] = ()


@dataclass(frozen=True, slots=True)
class SpreadTrade:
    """An acknowledged request of a reloaded spread: what its legs filled and when (the spread's quantity history)."""

    spread_id: str
    action: SpreadAction
    ts_ns: int
    reply: SpreadReply


@dataclass(frozen=True, slots=True)
class StoredSpreads:
    """What a trading engine reloads at start: spreads not closed, the answers it already gave, and the orders it had
    begun (an intent saved before the first leg) but not answered."""

    open: list[Spread] = field(default_factory=list)
    replies: dict[str, SpreadReply] = field(default_factory=dict)
    pending: list[SpreadOrder] = field(default_factory=list)
    funding_ids: set[str] = field(default_factory=set)  # payments already counted, the newest ones
    funding_since_ns: int | None = None  # settlement time of the newest payment counted
    closed: list[Spread] = field(default_factory=list)  # closed at or after ``load``'s ``closed_since_ns``
    trades: list[SpreadTrade] = field(default_factory=list)  # of the open and closed ones above, oldest first


class SpreadRepository(Protocol):
    async def write(self, change: SpreadWrite) -> None:
        """The spread, the request and both legs in one transaction; writing one again changes nothing more.

        Raises StoreUnavailable when the database cannot be reached."""
        ...

    async def write_funding(self, change: FundingWrite) -> None:
        """The payment (by its id) and the spreads it changed in one transaction; a payment already stored changes
        nothing. Raises StoreUnavailable when the database cannot be reached."""
        ...

    async def save_intent(self, order: SpreadOrder) -> None:
        """The order, before its first leg is sent: a restart finds what may be half done (its answer replaces it)."""
        ...

    async def load(self, *, closed_since_ns: int | None = None) -> StoredSpreads:
        """Also the spreads closed at or after ``closed_since_ns`` (none without it), which may still be owed funding,
        and the acknowledged trades of every spread returned."""
        ...

    async def spreads(self, *, open_only: bool = False, limit: int = 100) -> list[Spread]:
        """Newest first."""
        ...


class SpreadView(Protocol):
    """The trading engine's book of spreads and exposure: the engine itself, or it asked over the bus."""

    async def book(self, query: SpreadQuery) -> SpreadBook: ...
