"""The ``orderbook.{depth}.{symbol}`` streams: a snapshot, then exact diffs of the top-N view.

A delta carries, for each side, every price whose quantity in the top N changed: size ``"0"`` for a level
that left the top N (traded away, cancelled, or pushed below level N), the new size for one that entered
or changed. Applied to the previous view it gives exactly the new one, so a client holding only the top N
(pybit raises on a delete of a price it does not hold) stays in step. ``seq`` is the engine's book
sequence; ``u`` equals it until the stream is reset, after which it restarts at 1, as Bybit's does when
its service restarts. With ``contiguous_u`` (a setting) ``u`` instead counts the stream's messages, as Bybit's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradewind.application.venue import SimVenue
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import fmt
from tradewind.interfaces.sim_exchange.book_diff import Level, top_diff
from tradewind.interfaces.sim_exchange.ws_session import encode

_FORMAT_CACHE_LIMIT = 100_000


class MarketBook:
    """One market's book as its streams see it: the engine, the ``u`` offset, and cached number formatting."""

    def __init__(self, venue: SimVenue, category: Category, symbol: str) -> None:
        self._venue = venue
        self.category = category
        self.symbol = symbol
        self.engine: MatchingEngine = venue.engine(category, symbol)
        self._base = 0
        self.max_seq = self.engine.seq
        self._prices: dict[int, str] = {}
        self._qtys: dict[int, str] = {}

    def u(self, seq: int) -> int:
        return seq - self._base

    def replaced(self) -> bool:
        """True when the venue now has another engine for this market, or the engine's sequence went back."""
        engine = self._venue.engine(self.category, self.symbol)
        return engine is not self.engine or engine.seq < self.max_seq

    def reset(self) -> None:
        """Restart ``u`` so the current book state has ``u`` = 1."""
        self.engine = self._venue.engine(self.category, self.symbol)
        self._base = self.engine.seq - 1
        self.max_seq = self.engine.seq

    def levels(self, levels: Sequence[Level]) -> list[list[str]]:
        """Levels as Bybit's ``[["price", "size"], ...]``; the same price always has the same text."""
        prices, qtys = self._prices, self._qtys
        if len(prices) > _FORMAT_CACHE_LIMIT or len(qtys) > _FORMAT_CACHE_LIMIT:
            prices.clear()
            qtys.clear()
        inst = self.engine.instrument
        out = []
        for price, qty in levels:
            p = prices.get(price)
            if p is None:
                p = prices[price] = fmt(inst.ticks_to_price(price))
            q = qtys.get(qty)
            if q is None:
                q = qtys[qty] = fmt(inst.lots_to_qty(qty))
            out.append([p, q])
        return out


class BookFeed:
    """One ``orderbook.{depth}.{symbol}`` stream, shared by all its subscribers.

    It remembers the view it last published; ``poll`` publishes what changed since (depth 1: the whole
    top level, snapshot-only, re-sent unchanged every ``refresh_s`` seconds as Bybit does).
    """

    def __init__(
        self, market: MarketBook, depth: int, interval_s: float, refresh_s: float, contiguous_u: bool = False
    ) -> None:
        self.market = market
        self._contiguous = contiguous_u
        self._u = 1  # the published view's ``u`` when it counts messages (``contiguous_u``)
        self.depth = depth
        self.topic = f"orderbook.{depth}.{market.symbol}"
        self.interval_s = interval_s
        self.snapshot_only = depth == 1
        self._refresh_s = refresh_s
        self._bids: list[Level] = []
        self._asks: list[Level] = []
        self._seq = 0  # engine seq of the published view
        self._checked = 0  # engine seq last looked at
        self._sent_at = float("-inf")
        self._load()

    def _load(self) -> None:
        snap = self.market.engine.snapshot(self.depth)
        self._bids, self._asks = snap.bids, snap.asks
        self._seq = self._checked = snap.seq
        self.market.max_seq = max(self.market.max_seq, snap.seq)

    def welcome(self, now_ms: int) -> list[str]:
        """The snapshot a new subscriber starts from: the published view (flush with ``poll`` first)."""
        return [self._message("snapshot", self._bids, self._asks, now_ms)]

    def reset(self, now_ms: int, mono_s: float) -> list[str]:
        """Reload from the engine (after ``MarketBook.reset``) and publish it as a fresh snapshot."""
        self._load()
        self._u = 1
        self._sent_at = mono_s
        return self.welcome(now_ms)

    def poll(self, now_ms: int, mono_s: float) -> list[str]:
        """What to publish now: a delta (or depth-1 snapshot) if the top N changed, else maybe a refresh."""
        engine = self.market.engine
        seq = engine.seq
        if seq != self._checked:
            self._checked = seq
            self.market.max_seq = max(self.market.max_seq, seq)
            snap = engine.snapshot(self.depth)
            if self.snapshot_only:
                if snap.bids != self._bids or snap.asks != self._asks:
                    self._bids, self._asks, self._seq = snap.bids, snap.asks, seq
                    self._sent_at = mono_s
                    self._u += 1
                    return [self._message("snapshot", self._bids, self._asks, now_ms)]
            else:
                bids = top_diff(self._bids, snap.bids, descending=True)
                asks = top_diff(self._asks, snap.asks, descending=False)
                if bids or asks:
                    self._bids, self._asks, self._seq = snap.bids, snap.asks, seq
                    self._u += 1
                    return [self._message("delta", bids, asks, now_ms)]
        if self.snapshot_only and self._sent_at == float("-inf"):
            self._sent_at = mono_s  # the refresh period starts with the stream
        elif self.snapshot_only and mono_s - self._sent_at >= self._refresh_s:
            self._sent_at = mono_s
            self._u += 1
            return [self._message("snapshot", self._bids, self._asks, now_ms)]
        return []

    def _message(self, kind: str, bids: Sequence[Level], asks: Sequence[Level], now_ms: int) -> str:
        market = self.market
        data: dict[str, Any] = {
            "s": market.symbol,
            "b": market.levels(bids),
            "a": market.levels(asks),
            "u": self._u if self._contiguous else market.u(self._seq),
            "seq": self._seq,
        }
        return encode({"topic": self.topic, "type": kind, "ts": now_ms, "data": data, "cts": now_ms})
