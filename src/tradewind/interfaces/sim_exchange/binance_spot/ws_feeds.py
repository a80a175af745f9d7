"""Binance market streams besides depth: ``@trade``, ``@ticker``, ``@miniTicker``, ``@bookTicker``; stream names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from tradewind.application.venue import SimVenue
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, Side
from tradewind.interfaces.sim_exchange.binance_spot.render import fmt8, opt8, ticker_event, ticker_of
from tradewind.interfaces.sim_exchange.tape_cursor import TapeCursor


class StreamKind(StrEnum):
    DEPTH = "depth"
    FAST_DEPTH = "depth@100ms"
    TRADE = "trade"
    TICKER = "ticker"
    MINI_TICKER = "miniTicker"
    BOOK_TICKER = "bookTicker"


_SUFFIXES = {"depth@1000ms": StreamKind.DEPTH, **{k.value: k for k in StreamKind}}


@dataclass(frozen=True, slots=True)
class StreamName:
    """A parsed stream name: ``<lowercase symbol>@<kind>``."""

    name: str
    kind: StreamKind
    instrument: Instrument


def parse_stream(name: str, symbols: dict[str, Instrument]) -> StreamName | None:
    """The stream ``name`` denotes, or None if it is not one this server serves."""
    symbol, _, suffix = name.partition("@")
    kind = _SUFFIXES.get(suffix)
    inst = symbols.get(symbol)
    if kind is None or inst is None:
        return None
    return StreamName(name, kind, inst)


class Feed(Protocol):
    stream: str
    interval_s: float

    def poll(self, now_ms: int) -> list[dict[str, Any]]: ...


class TradeFeed:
    """Every trade of the market, one ``trade`` event each, oldest first (from the venue's tape)."""

    def __init__(self, venue: SimVenue, inst: Instrument, stream: str, interval_s: float) -> None:
        self.stream = stream
        self.interval_s = interval_s
        self._symbol = inst.symbol
        self._cursor = TapeCursor(venue.tape(Category.SPOT, inst.symbol), venue.settings.recent_trades)

    def poll(self, now_ms: int) -> list[dict[str, Any]]:
        return [
            {
                "e": "trade",
                "E": now_ms,
                "s": self._symbol,
                "t": t.trade_id,
                "p": fmt8(t.price),
                "q": fmt8(t.qty),
                "T": t.ts_ms,
                "m": t.side is Side.SELL,  # the buyer is the maker when the taker sold
                "M": True,
            }
            for t in self._cursor.take()
        ]


class TickerFeed:
    """The rolling 24 h ticker (``mini``: close, open, high, low and volumes only), pushed every interval."""

    def __init__(self, venue: SimVenue, inst: Instrument, stream: str, interval_s: float, *, mini: bool) -> None:
        self.stream = stream
        self.interval_s = interval_s
        self._venue = venue
        self._inst = inst
        self._mini = mini

    def poll(self, now_ms: int) -> list[dict[str, Any]]:
        return [ticker_event(ticker_of(self._venue, self._inst, now_ms), now_ms, mini=self._mini)]


class BookTickerFeed:
    """Best bid and ask, pushed whenever either changes (``u`` is the book's update id)."""

    def __init__(self, venue: SimVenue, inst: Instrument, stream: str, interval_s: float) -> None:
        self.stream = stream
        self.interval_s = interval_s
        self._engine = venue.engine(Category.SPOT, inst.symbol)
        self._inst = inst
        self._top = self._best()

    def _best(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        snap = self._engine.snapshot(1)
        return (snap.bids[0] if snap.bids else None, snap.asks[0] if snap.asks else None)

    def poll(self, now_ms: int) -> list[dict[str, Any]]:
        top = self._best()
        if top == self._top:
            return []
        self._top = top
        inst = self._inst
        bid, ask = top
        return [
            {
                "u": self._engine.seq,
                "s": inst.symbol,
                "b": opt8(inst.ticks_to_price(bid[0]) if bid else None),
                "B": opt8(inst.lots_to_qty(bid[1]) if bid else None),
                "a": opt8(inst.ticks_to_price(ask[0]) if ask else None),
                "A": opt8(inst.lots_to_qty(ask[1]) if ask else None),
            }
        ]
