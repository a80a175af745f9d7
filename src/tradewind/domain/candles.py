"""Candles (OHLCV bars) built from trades, aligned to the clock, and their wire format.

A candle of ``interval`` minutes covers ``[start_ms, start_ms + interval * 60 000)``; starts are multiples of the
interval since the epoch (UTC), so every 60-minute candle starts on the hour and a day's on midnight UTC.

``CandleBuilder`` rules (deterministic, whatever order trades arrive in):

- a trade joins the candle its timestamp falls in; within a candle, ``open`` is the trade with the earliest
  timestamp and ``close`` the one with the latest (equal timestamps: first and last to arrive); high, low,
  volume, turnover and the trade count do not depend on the order;
- ``close_until(now_ms)`` closes every candle that ended at or before ``now_ms``, oldest first and contiguous: a
  period with no trade is a candle at the previous close with zero volume (none before the first trade or seed);
- a trade for a candle already closed is late: it is counted and dropped, never changes an emitted candle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradewind.domain.market import InstrumentRef, PayloadError, TradeTick, _dec, _int, _ref, _ref_payload

MINUTE_MS = 60_000
# Minutes of the supported intervals: each divides a day, so candles align to midnight UTC as on every venue.
INTERVALS: tuple[int, ...] = (1, 3, 5, 15, 30, 60, 120, 240, 360, 720, 1440)
_ZERO = Decimal(0)


def check_interval(minutes: int) -> int:
    """``minutes`` if it is a supported interval; ValueError naming the choices otherwise."""
    if isinstance(minutes, bool) or minutes not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(map(str, INTERVALS))} minutes, got {minutes!r}")
    return minutes


def bybit_interval(minutes: int) -> str:
    """Bybit's (and the simulator's) word for the interval: ``"1"`` ... ``"720"``, ``"D"`` for a day."""
    return "D" if check_interval(minutes) == 1440 else str(minutes)


def ccxt_timeframe(minutes: int) -> str:
    """ccxt's unified timeframe: ``1m``, ``15m``, ``1h``, ``12h``, ``1d``."""
    check_interval(minutes)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def interval_ms(minutes: int) -> int:
    return check_interval(minutes) * MINUTE_MS


def candle_start(ts_ms: int, minutes: int) -> int:
    """Start (ms) of the ``minutes`` candle holding ``ts_ms``."""
    width = interval_ms(minutes)
    return ts_ms - ts_ms % width


@dataclass(frozen=True, slots=True)
class Candle:
    """One closed bar: prices in quote currency, ``volume`` in base, ``turnover`` in quote, ``trades`` counted."""

    ref: InstrumentRef
    interval: int  # minutes
    start_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    turnover: Decimal
    trades: int

    @property
    def end_ms(self) -> int:
        """First millisecond after the candle."""
        return self.start_ms + self.interval * MINUTE_MS

    def topic(self) -> str:
        """``md.candle.<exchange>.<category>.<symbol>.<interval>``."""
        return f"{self.ref.topic('candle')}.{self.interval}"

    def check(self) -> Candle:
        """The candle itself if it is consistent; ValueError naming what is not."""
        check_interval(self.interval)
        if self.start_ms < 0 or self.start_ms % (self.interval * MINUTE_MS):
            raise ValueError(f"candle start {self.start_ms} is not aligned to {self.interval} minutes")
        if not self.low <= min(self.open, self.close) <= max(self.open, self.close) <= self.high:
            raise ValueError(f"candle at {self.start_ms}: prices out of order (low <= open, close <= high)")
        if self.low <= 0 or self.volume < 0 or self.turnover < 0 or self.trades < 0:
            raise ValueError(f"candle at {self.start_ms}: prices must be positive, volume and trades not negative")
        return self


def empty_candle(ref: InstrumentRef, minutes: int, start_ms: int, close: Decimal) -> Candle:
    """A period without trades: the previous close, zero volume."""
    return Candle(ref, minutes, start_ms, close, close, close, close, _ZERO, _ZERO, 0)


@dataclass(slots=True)
class _Open:
    """A candle still collecting trades; open/close remember the timestamps that chose them."""

    start_ms: int
    open: Decimal
    open_ts: int
    close: Decimal
    close_ts: int
    high: Decimal
    low: Decimal
    volume: Decimal = _ZERO
    turnover: Decimal = _ZERO
    trades: int = 0

    def add(self, price: Decimal, qty: Decimal, ts_ns: int) -> None:
        if ts_ns < self.open_ts:
            self.open, self.open_ts = price, ts_ns
        if ts_ns >= self.close_ts:
            self.close, self.close_ts = price, ts_ns
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.volume += qty
        self.turnover += price * qty
        self.trades += 1


@dataclass(slots=True)
class CandleBuilder:
    """Candles of one market and interval from its trades and the clock (the module docstring has the rules)."""

    ref: InstrumentRef
    interval: int = 1
    _open: dict[int, _Open] = field(default_factory=dict)
    _next_ms: int | None = None  # start of the first candle not yet closed
    _last_close: Decimal | None = None
    late: int = 0  # trades dropped because their candle was already closed

    def __post_init__(self) -> None:
        check_interval(self.interval)

    @property
    def next_start_ms(self) -> int | None:
        """Start of the oldest candle not closed yet (None before the first trade or seed)."""
        return self._next_ms

    def seed(self, last: Candle) -> None:
        """Continue after ``last`` (e.g. the newest candle of the kline history): its close fills empty periods."""
        if last.interval != self.interval:
            raise ValueError(f"seed candle has interval {last.interval}, the builder {self.interval}")
        if self._last_close is not None and self._next_ms is not None and last.end_ms <= self._next_ms:
            return  # what was emitted (or seeded) already goes at least that far
        self._next_ms = last.end_ms
        self._last_close = last.close
        for start in [s for s in self._open if s < last.end_ms]:
            del self._open[start]  # the history has these periods

    def add(self, trade: TradeTick) -> bool:
        """Add one trade; False if it was late (its candle already closed) and so dropped."""
        ts_ms = trade.ts_ns // 1_000_000
        start = ts_ms - ts_ms % (self.interval * MINUTE_MS)
        if self._next_ms is not None and start < self._next_ms:
            if self._last_close is not None:  # a candle at or after this one has been emitted
                self.late += 1
                return False
            self._next_ms = start  # nothing emitted yet: an earlier trade still opens the series
        bar = self._open.get(start)
        if bar is None:
            p = trade.price
            self._open[start] = bar = _Open(start, p, trade.ts_ns, p, trade.ts_ns, p, p)
            if self._next_ms is None:
                self._next_ms = start
        bar.add(trade.price, trade.qty, trade.ts_ns)
        return True

    def close_until(self, now_ms: int) -> list[Candle]:
        """Every candle that ended at or before ``now_ms``, oldest first, empty periods filled."""
        out: list[Candle] = []
        width = self.interval * MINUTE_MS
        if self._next_ms is None:
            return out
        while self._next_ms + width <= now_ms:
            start = self._next_ms
            bar = self._open.pop(start, None)
            if bar is not None:
                candle = self._closed(bar)
            else:
                # _next_ms is only ever set by a trade (whose candle is open) or by a seed (which sets the close).
                assert self._last_close is not None
                candle = empty_candle(self.ref, self.interval, start, self._last_close)
            out.append(candle)
            self._last_close = candle.close
            self._next_ms = start + width
        return out

    def _closed(self, bar: _Open) -> Candle:
        return Candle(
            self.ref, self.interval, bar.start_ms, bar.open, bar.high, bar.low, bar.close, bar.volume,
            bar.turnover, bar.trades,
        )  # fmt: skip


def aggregate(candles: Iterable[Candle], minutes: int) -> list[Candle]:
    """Candles of a finer interval merged into ``minutes`` candles (oldest first in, oldest first out).

    Each output covers the inputs whose start falls in it; an output with only some of its inputs is still
    emitted (the caller drops an incomplete last one if it must). Inputs without volume (empty periods) count
    only for the close, so the result equals the candle built directly from the same trades.
    """
    width = interval_ms(minutes)
    out: list[Candle] = []
    group: list[Candle] = []
    for candle in candles:
        if candle.interval > minutes or minutes % candle.interval:
            raise ValueError(f"cannot aggregate {candle.interval}-minute candles into {minutes}-minute ones")
        if group and candle.start_ms - candle.start_ms % width != group[0].start_ms - group[0].start_ms % width:
            out.append(_merge(group, minutes, width))
            group = []
        group.append(candle)
    if group:
        out.append(_merge(group, minutes, width))
    return out


def _merge(group: Sequence[Candle], minutes: int, width: int) -> Candle:
    # Empty periods only repeat the close before them: the prices are those of the periods that traded, as a
    # candle built directly from the trades has them.
    traded = [c for c in group if c.volume > 0] or list(group)
    first, last = group[0], group[-1]
    return Candle(
        first.ref, minutes, first.start_ms - first.start_ms % width, traded[0].open,
        max(c.high for c in traded), min(c.low for c in traded), last.close,
        sum((c.volume for c in group), _ZERO), sum((c.turnover for c in group), _ZERO), sum(c.trades for c in group),
    )  # fmt: skip


def open_candle(
    ref: InstrumentRef, minutes: int, now_ms: int, minutes_closed: Iterable[Candle], trades: Iterable[TradeTick]
) -> Candle | None:
    """The ``minutes`` candle still open at ``now_ms`` as it stands: the closed one-minute candles of its period so
    far and the ``trades`` of the minute under way (either may be empty); None when its period has no trade yet."""
    period = candle_start(now_ms, minutes)
    minute = candle_start(now_ms, 1)
    builder = CandleBuilder(ref, 1)
    for trade in trades:
        if trade.ts_ns // 1_000_000 >= minute:
            builder.add(trade)
    parts = [c for c in minutes_closed if period <= c.start_ms < minute and c.interval == 1]
    parts += builder.close_until(minute + MINUTE_MS)
    merged = aggregate(parts, minutes)
    return merged[-1] if merged and merged[-1].start_ms == period and merged[-1].trades else None


def fill_gaps(candles: Sequence[Candle]) -> list[Candle]:
    """Candles of one market and interval (oldest first) made contiguous: a missing period repeats the close before.

    Venues leave out periods without a trade (the simulator's klines do), the builder does not; this makes the
    history fetched at start look like what the builder emits.
    """
    out: list[Candle] = []
    for candle in candles:
        if out:
            last = out[-1]
            out.extend(
                empty_candle(last.ref, last.interval, start, last.close)
                for start in range(last.end_ms, candle.start_ms, last.interval * MINUTE_MS)
            )
        out.append(candle)
    return out


# --- wire format (payloads of ``md.candle``) ------------------------------------------------------------------


def candle_to_payload(c: Candle) -> dict[str, Any]:
    return {
        **_ref_payload(c.ref),
        "interval": c.interval,
        "start_ms": c.start_ms,
        "open": str(c.open),
        "high": str(c.high),
        "low": str(c.low),
        "close": str(c.close),
        "volume": str(c.volume),
        "turnover": str(c.turnover),
        "trades": c.trades,
    }


def candle_from_payload(p: Mapping[str, Any]) -> Candle:
    candle = Candle(
        _ref(p), _int(p, "interval"), _int(p, "start_ms"), _dec(p, "open"), _dec(p, "high"), _dec(p, "low"),
        _dec(p, "close"), _dec(p, "volume"), _dec(p, "turnover"), _int(p, "trades"),
    )  # fmt: skip
    try:
        return candle.check()
    except ValueError as exc:
        raise PayloadError(str(exc)) from None


__all__ = [
    "INTERVALS",
    "MINUTE_MS",
    "Candle",
    "CandleBuilder",
    "aggregate",
    "bybit_interval",
    "candle_from_payload",
    "candle_start",
    "candle_to_payload",
    "ccxt_timeframe",
    "check_interval",
    "empty_candle",
    "fill_gaps",
    "interval_ms",
    "open_candle",
]
