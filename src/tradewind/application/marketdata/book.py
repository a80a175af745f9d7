"""A local order book kept from a venue's snapshot + deltas, with sequence checks."""

from __future__ import annotations

from decimal import Decimal

from tradewind.application.ports.market_data import BookUpdate, UpdateKind
from tradewind.domain.market import BookSnapshot, InstrumentRef, Level


class SequenceGap(Exception):
    """The stream skipped, repeated or reordered an update: the local book can no longer be trusted."""


class LocalBook:
    """Price -> size maps per side; ``apply`` raises SequenceGap and leaves the book unsynced."""

    def __init__(self, ref: InstrumentRef, *, contiguous_u: bool) -> None:
        self.ref = ref
        self.contiguous_u = contiguous_u
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.u = 0
        self.seq = 0
        self.ts_ns = 0
        self.synced = False

    def apply(self, update: BookUpdate) -> None:
        if update.kind is UpdateKind.SNAPSHOT:
            self.bids = {p: q for p, q in update.bids if q}
            self.asks = {p: q for p, q in update.asks if q}
        else:
            self._check(update)
            for side, levels in ((self.bids, update.bids), (self.asks, update.asks)):
                for price, qty in levels:
                    if qty:
                        side[price] = qty
                    elif side.pop(price, None) is None:
                        self.synced = False
                        raise SequenceGap(f"{self.ref.symbol}: delete of price {price} the book never had")
        self.u, self.seq, self.ts_ns = update.u, update.seq, update.ts_ns
        self.synced = True

    def _check(self, update: BookUpdate) -> None:
        problem = None
        if not self.synced:
            problem = "a delta before any snapshot"
        elif self.contiguous_u and update.u != self.u + 1:
            problem = f"u jumped from {self.u} to {update.u}"
        elif update.u <= self.u or update.seq < self.seq:
            problem = f"update went backwards (u {self.u} -> {update.u}, seq {self.seq} -> {update.seq})"
        if problem is not None:
            self.synced = False
            raise SequenceGap(f"{self.ref.symbol}: {problem}")

    def top(self, depth: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        bids = tuple(sorted(self.bids.items(), reverse=True)[:depth])
        asks = tuple(sorted(self.asks.items())[:depth])
        return bids, asks

    def snapshot(self, depth: int) -> BookSnapshot:
        bids, asks = self.top(depth)
        return BookSnapshot(self.ref, self.seq, bids, asks, self.ts_ns)
