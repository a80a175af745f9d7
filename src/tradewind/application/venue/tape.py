"""Per-market trade tape: recent public trades, one-minute bars, klines of any Bybit interval, 24 h stats."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext

from tradewind.domain.values import Side
from tradewind.domain.venue_accounts import ZERO, exact_context

_MINUTE_MS = 60_000
_DAY_MS = 1_440 * _MINUTE_MS
_WEEK_MS = 7 * _DAY_MS
_MONDAY_MS = 4 * _DAY_MS  # 1970-01-05, the first Monday: Bybit's weekly bars start on Mondays, 00:00 UTC

KLINE_INTERVALS: tuple[str, ...] = (
    "1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """One trade on the market, as ``recent-trade`` and ``publicTrade`` show it; ``side`` is the taker's."""

    trade_id: int
    exec_id: str
    price: Decimal
    qty: Decimal
    side: Side
    ts_ms: int
    seq: int


@dataclass(frozen=True, slots=True)
class Kline:
    start_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base
    turnover: Decimal  # quote


@dataclass(frozen=True, slots=True)
class DayStats:
    """Rolling 24 h figures of a market; prices are None before its first trade."""

    last_price: Decimal | None
    prev_price_24h: Decimal | None
    prev_price_1h: Decimal | None
    high: Decimal | None
    low: Decimal | None
    volume: Decimal
    turnover: Decimal


class _Bar:
    __slots__ = ("close", "high", "low", "open", "start_ms", "turnover", "volume")

    def __init__(self, start_ms: int, price: Decimal) -> None:
        self.start_ms = start_ms
        self.open = self.high = self.low = self.close = price
        self.volume = ZERO
        self.turnover = ZERO

    def add(self, price: Decimal, qty: Decimal) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        with localcontext(exact_context()):
            self.volume += qty
            self.turnover += qty * price


def interval_start(interval: str, ts_ms: int) -> int:
    """Start (ms) of the ``interval`` bar holding ``ts_ms``; raises ValueError for an unknown interval."""
    if interval == "D":
        return ts_ms - ts_ms % _DAY_MS
    if interval == "W":
        return ts_ms - (ts_ms - _MONDAY_MS) % _WEEK_MS
    if interval == "M":
        day = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
        return int(datetime(day.year, day.month, 1, tzinfo=UTC).timestamp()) * 1000
    if interval not in KLINE_INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(KLINE_INTERVALS)}, got {interval!r}")
    width = int(interval) * _MINUTE_MS
    return ts_ms - ts_ms % width


class MarketTape:
    """Built only from the market's trades, in arrival order; memory is bounded by the two limits."""

    def __init__(self, max_minutes: int, max_trades: int) -> None:
        self._bars: deque[_Bar] = deque(maxlen=max_minutes)
        self._trades: deque[PublicTrade] = deque(maxlen=max_trades)

    @property
    def last_price(self) -> Decimal | None:
        return self._bars[-1].close if self._bars else None

    def record(self, trade: PublicTrade) -> None:
        minute = trade.ts_ms - trade.ts_ms % _MINUTE_MS
        bar = self._bars[-1] if self._bars else None
        # A trade stamped earlier than the open bar (a clock that stepped back) joins the open bar.
        if bar is None or minute > bar.start_ms:
            bar = _Bar(minute, trade.price)
            self._bars.append(bar)
        bar.add(trade.price, trade.qty)
        self._trades.append(trade)

    def recent(self, limit: int) -> list[PublicTrade]:
        """The newest ``limit`` trades, newest first."""
        out: list[PublicTrade] = []
        for trade in reversed(self._trades):
            if len(out) >= limit:
                break
            out.append(trade)
        return out

    def klines(self, interval: str, start_ms: int | None, end_ms: int | None, limit: int) -> list[Kline]:
        """Bars of ``interval`` whose start lies in [start_ms, end_ms], newest first, at most ``limit``."""
        interval_start(interval, 0)  # validates the interval
        out: list[Kline] = []
        group: list[_Bar] = []
        group_start: int | None = None
        for bar in self._newest_first():
            bucket = interval_start(interval, bar.start_ms)
            if end_ms is not None and bucket > end_ms:
                continue
            if group_start is not None and bucket != group_start:
                out.append(_merge(group_start, group))
                group = []
                if len(out) >= limit:
                    return out
            if start_ms is not None and bucket < start_ms:
                return out
            group_start = bucket
            group.append(bar)
        if group_start is not None and group:
            out.append(_merge(group_start, group))
        return out[:limit]

    def stats(self, now_ms: int) -> DayStats:
        """24 h high/low/volume; the previous prices are the last closes before the 24 h and 1 h marks."""
        day_ago, hour_ago = now_ms - _DAY_MS, now_ms - 60 * _MINUTE_MS
        high: Decimal | None = None
        low: Decimal | None = None
        volume = turnover = ZERO
        prev_24h: Decimal | None = None
        prev_1h: Decimal | None = None
        oldest_open: Decimal | None = None
        for bar in self._newest_first():
            if bar.start_ms < hour_ago and prev_1h is None:
                prev_1h = bar.close
            if bar.start_ms < day_ago:
                prev_24h = bar.close
                break
            high = bar.high if high is None else max(high, bar.high)
            low = bar.low if low is None else min(low, bar.low)
            with localcontext(exact_context()):
                volume += bar.volume
                turnover += bar.turnover
            oldest_open = bar.open
        prev_24h = prev_24h if prev_24h is not None else oldest_open
        prev_1h = prev_1h if prev_1h is not None else oldest_open
        last = self.last_price
        return DayStats(last, prev_24h or last, prev_1h or last, high, low, volume, turnover)

    def _newest_first(self) -> Iterator[_Bar]:
        return reversed(self._bars)


def _merge(start_ms: int, newest_first: list[_Bar]) -> Kline:
    oldest, newest = newest_first[-1], newest_first[0]
    with localcontext(exact_context()):
        volume = sum((b.volume for b in newest_first), ZERO)
        turnover = sum((b.turnover for b in newest_first), ZERO)
    return Kline(
        start_ms,
        oldest.open,
        max(b.high for b in newest_first),
        min(b.low for b in newest_first),
        newest.close,
        volume,
        turnover,
    )
