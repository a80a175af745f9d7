"""Binance diff-depth streams (``<symbol>@depth[@100ms]``) numbered so the REST snapshot and the events fit exactly.

Update ids are the engine's book sequence. An event covering ``U..u`` carries, with its absolute quantity,
every level that differs between the book at ``U - 1`` and the book at ``u`` ("0.00000000" = gone), and
each event's ``U`` is the previous event's ``u + 1``. The REST snapshot first publishes what is pending on
every depth stream of its symbol, so its ``lastUpdateId`` is always an event boundary: applying the events
with ``u > lastUpdateId`` to it gives the live book exactly, as Binance's "manage a local order book" recipe
(and ccxt.pro) expects. Diffs cover the whole book, not a top N.
"""

from __future__ import annotations

from typing import Any

from tradewind.application.venue import SimVenue
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.binance_spot.render import levels
from tradewind.interfaces.sim_exchange.book_diff import Level, top_diff


class DepthMarket:
    """One symbol's book and its update ids, shared by its depth streams and the REST snapshot."""

    def __init__(self, venue: SimVenue, symbol: str) -> None:
        self._venue = venue
        self.symbol = symbol
        self.engine: MatchingEngine = venue.engine(Category.SPOT, symbol)
        self._offset = 0  # stays 0 (ids = engine sequence) unless the venue's engine for the market is replaced
        self._issued = self.engine.seq

    def update_id(self) -> int:
        """The id of the book as it is now; ids only grow, even if the venue's engine was replaced."""
        engine = self._venue.engine(Category.SPOT, self.symbol)
        if engine is not self.engine or engine.seq + self._offset < self._issued:
            # A restarted book gets a fresh id, so the streams publish the switch as one more diff.
            self.engine = engine
            self._offset = self._issued + 1 - engine.seq
        self._issued = engine.seq + self._offset
        return self._issued


class DepthFeed:
    """One diff-depth stream: the book it last published and that book's update id."""

    def __init__(self, market: DepthMarket, stream: str, interval_s: float) -> None:
        self.market = market
        self.stream = stream
        self.interval_s = interval_s
        snap = market.engine.snapshot()
        self._bids: list[Level] = snap.bids
        self._asks: list[Level] = snap.asks
        self._u = self._checked = market.update_id()

    @property
    def last_update_id(self) -> int:
        return self._u

    def poll(self, now_ms: int) -> list[dict[str, Any]]:
        """A ``depthUpdate`` for everything that changed since the last one, if anything did."""
        market = self.market
        uid = market.update_id()
        if uid == self._checked:
            return []
        self._checked = uid
        snap = market.engine.snapshot()
        bids = top_diff(self._bids, snap.bids, descending=True)
        asks = top_diff(self._asks, snap.asks, descending=False)
        if not bids and not asks:
            return []  # no net change: the next event's range covers these ids too
        inst = market.engine.instrument
        event = {
            "e": "depthUpdate",
            "E": now_ms,
            "s": market.symbol,
            "U": self._u + 1,
            "u": uid,
            "b": levels(inst, bids),
            "a": levels(inst, asks),
        }
        self._bids, self._asks, self._u = snap.bids, snap.asks, uid
        return [event]
