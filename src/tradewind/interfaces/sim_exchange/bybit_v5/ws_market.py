"""The ``publicTrade.{symbol}`` and ``tickers.{symbol}`` streams, read from the venue's market tape and book.

The tape records every trade on the market, the venue's and the trader swarm's (once the swarm's Reports
reach ``SimVenue.on_engine_report``), so both streams agree with ``/v5/market/recent-trade`` and
``/v5/market/tickers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tradewind.application.venue import SimVenue
from tradewind.application.venue.tape import DayStats, PublicTrade
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import fmt
from tradewind.interfaces.sim_exchange.bybit_v5.render import side
from tradewind.interfaces.sim_exchange.tape_cursor import TapeCursor
from tradewind.interfaces.sim_exchange.ws_session import encode

MAX_TRADES_PER_MESSAGE = 1024  # Bybit's limit per publicTrade message
_PCT_QUANTUM = Decimal("0.000001")
_TICK_HISTORY = 64  # trades looked back over to name the tick direction of a ticker


def next_tick(previous: str | None, last_price: Decimal | None, price: Decimal) -> str:
    """Bybit's tick direction of a trade at ``price`` after one at ``last_price`` whose direction was ``previous``."""
    if last_price is None or price == last_price:
        return "ZeroMinusTick" if previous in ("MinusTick", "ZeroMinusTick") else "ZeroPlusTick"
    return "PlusTick" if price > last_price else "MinusTick"


def tick_of(oldest_first: Iterable[PublicTrade]) -> str:
    tick: str | None = None
    last: Decimal | None = None
    for trade in oldest_first:
        tick = next_tick(tick, last, trade.price)
        last = trade.price
    return tick or "ZeroPlusTick"


class TradeFeed:
    """New trades of one market since the last poll, oldest first, at most 1024 per message."""

    def __init__(self, venue: SimVenue, inst: Instrument, interval_s: float) -> None:
        self.topic = f"publicTrade.{inst.symbol}"
        self.interval_s = interval_s
        self._symbol = inst.symbol
        self._linear = inst.category is Category.LINEAR
        tape = venue.tape(inst.category, inst.symbol)
        self._cursor = TapeCursor(tape, venue.settings.recent_trades)
        self._tick = tick_of(reversed(tape.recent(_TICK_HISTORY)))

    def welcome(self, now_ms: int) -> list[str]:
        return []  # Bybit sends no trade snapshot on subscribe

    def poll(self, now_ms: int, mono_s: float) -> list[str]:
        last = self._cursor.last
        fresh = self._cursor.take()
        if not fresh:
            return []
        last_price = last.price if last is not None else None
        rows = []
        for t in fresh:
            row: dict[str, Any] = {
                "T": t.ts_ms,
                "s": self._symbol,
                "S": side(t.side),
                "v": fmt(t.qty),
                "p": fmt(t.price),
                "i": t.exec_id,
                "BT": False,
                "seq": t.seq,
            }
            if self._linear:
                self._tick = next_tick(self._tick, last_price, t.price)
                row["L"] = self._tick
            last_price = t.price
            rows.append(row)
        return [
            encode(
                {"topic": self.topic, "type": "snapshot", "ts": now_ms, "data": rows[i : i + MAX_TRADES_PER_MESSAGE]}
            )
            for i in range(0, len(rows), MAX_TRADES_PER_MESSAGE)
        ]


class TickerFeed:
    """24 h statistics and best prices of one market: spot sends snapshots, linear a snapshot then changed keys."""

    def __init__(self, venue: SimVenue, inst: Instrument, interval_s: float) -> None:
        self.topic = f"tickers.{inst.symbol}"
        self.interval_s = interval_s
        self._venue = venue
        self._inst = inst
        self._linear = inst.category is Category.LINEAR
        self._tape = venue.tape(inst.category, inst.symbol)
        self._stats_key: tuple[object, int] | None = None
        self._stats: DayStats | None = None
        self._published: dict[str, str] = {}

    def welcome(self, now_ms: int) -> list[str]:
        return [self._message("snapshot", self._published or self.current(now_ms), now_ms)]

    def poll(self, now_ms: int, mono_s: float) -> list[str]:
        current = self.current(now_ms)
        if not self._published:
            self._published = current
            return []  # the first poll only sets the baseline; subscribers got their snapshot on subscribe
        if current == self._published:
            return []
        if self._linear:
            changed = {k: v for k, v in current.items() if self._published.get(k) != v}
            self._published = current
            return [self._message("delta", {"symbol": self._inst.symbol, **changed}, now_ms)]
        self._published = current
        return [self._message("snapshot", current, now_ms)]

    def current(self, now_ms: int) -> dict[str, str]:
        """The ticker now; 24 h statistics are recomputed on a new trade or once a second."""
        inst = self._inst
        newest = self._tape.recent(_TICK_HISTORY if self._linear else 1)
        key = (newest[0] if newest else None, now_ms // 1000)
        if key != self._stats_key or self._stats is None:
            self._stats, self._stats_key = self._tape.stats(now_ms), key
        stats = self._stats
        engine = self._venue.engine(inst.category, inst.symbol)
        last = stats.last_price if stats.last_price is not None else engine.mid()
        change = ""
        if last is not None and stats.prev_price_24h:
            change = fmt(((last - stats.prev_price_24h) / stats.prev_price_24h).quantize(_PCT_QUANTUM))
        ticker = {
            "symbol": inst.symbol,
            "lastPrice": _opt(last),
            "highPrice24h": _opt(stats.high),
            "lowPrice24h": _opt(stats.low),
            "prevPrice24h": _opt(stats.prev_price_24h),
            "volume24h": fmt(stats.volume),
            "turnover24h": fmt(stats.turnover),
            "price24hPcnt": change,
        }
        if not self._linear:
            ticker["usdIndexPrice"] = _opt(last)
            return ticker
        snap = engine.snapshot(1)
        bid = snap.bids[0] if snap.bids else None
        ask = snap.asks[0] if snap.asks else None
        ticker.update(
            tickDirection=tick_of(reversed(newest)),
            prevPrice1h=_opt(stats.prev_price_1h),
            markPrice=_opt(self._venue.mark_price(inst.symbol)),
            indexPrice=_opt(self._venue.index_price(inst.symbol)),
            openInterest="0",
            openInterestValue="0",
            nextFundingTime=str(self._venue.next_funding_time(inst.symbol)),
            fundingRate=fmt(self._venue.funding_rate(inst.symbol)),
            bid1Price=fmt(inst.ticks_to_price(bid[0])) if bid else "",
            bid1Size=fmt(inst.lots_to_qty(bid[1])) if bid else "",
            ask1Price=fmt(inst.ticks_to_price(ask[0])) if ask else "",
            ask1Size=fmt(inst.lots_to_qty(ask[1])) if ask else "",
        )
        return ticker

    def _message(self, kind: str, data: dict[str, str], now_ms: int) -> str:
        engine = self._venue.engine(self._inst.category, self._inst.symbol)
        return encode({"topic": self.topic, "type": kind, "data": data, "cs": engine.seq, "ts": now_ms})


def _opt(value: Decimal | None) -> str:
    return "" if value is None else fmt(value)
