"""Market-data ports: live subscriptions by instrument (``MarketData``) and the venue streams behind them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tradewind.domain.market import BookSnapshot, InstrumentRef, Level, TradeTick


class UpdateKind(StrEnum):
    SNAPSHOT = "snapshot"
    DELTA = "delta"


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """One book message of a venue stream: a snapshot resets, a delta sets levels (qty 0 removes one)."""

    kind: UpdateKind
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    u: int  # update id of the stream
    seq: int  # venue's cross sequence
    ts_ns: int


StreamEvent = BookUpdate | TradeTick


class StreamClosed(ConnectionError):
    """The venue stream ended (disconnect, server close); the subscriber resynchronises."""


class MarketStream(Protocol):
    """One venue's public streams: book updates and trades of one market until closed or cancelled."""

    @property
    def contiguous_u(self) -> bool:
        """True when each delta's ``u`` must be the previous one + 1 (a hole is a gap)."""
        ...

    def stream(self, ref: InstrumentRef, depth: int) -> AsyncIterator[StreamEvent]: ...


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    ref: InstrumentRef
    depth: int
    synced: bool
    stale: bool
    updates: int
    resyncs: int
    last_seq: int


class MarketData(Protocol):
    """Subscribe and unsubscribe markets at run time; each keeps a local book and publishes md.* events."""

    async def subscribe(self, ref: InstrumentRef, depth: int = 50) -> SubscriptionStatus: ...

    async def unsubscribe(self, ref: InstrumentRef) -> None: ...

    def subscriptions(self) -> list[SubscriptionStatus]: ...

    async def refresh(self) -> list[SubscriptionStatus]:
        """The subscriptions with their live counters, asked of the collector (``subscriptions`` may lag it)."""
        ...

    def book(self, ref: InstrumentRef) -> BookSnapshot | None: ...

    async def fetch_book(self, ref: InstrumentRef) -> BookSnapshot | None:
        """The collector's current book (``book`` may be a mirror that lags it); None when unknown or unsynced."""
        ...
