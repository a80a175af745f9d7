"""Engine reports to normalised market data: trade ticks, mid prices and top-N book snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tradewind.domain.market import BookSnapshot, InstrumentRef, Level, MidPrice, TradeTick
from tradewind.domain.matching import MatchingEngine, Report


@dataclass(frozen=True, slots=True)
class TapeEvents:
    """What one batch of reports means for subscribers, in publishing order."""

    trades: list[TradeTick] = field(default_factory=list)
    mid: MidPrice | None = None
    book: BookSnapshot | None = None


class MarketTape:
    """Turns an engine's reports into events; mids and books only when they changed since the last batch."""

    def __init__(self, ref: InstrumentRef, engine: MatchingEngine, depth: int = 50) -> None:
        if depth < 1:
            raise ValueError(f"book depth must be at least 1, got {depth}")
        if (ref.category, ref.symbol) != (engine.instrument.category, engine.instrument.symbol):
            raise ValueError(f"ref {ref.category.value}:{ref.symbol} does not match engine {engine.instrument.key}")
        self.ref, self.engine, self.depth = ref, engine, depth
        self._tick = engine.instrument.tick_size
        self._lot = engine.instrument.qty_step
        self._last_mid_sum: int | None = None  # bid + ask in ticks: the mid, doubled
        self._last_seq = engine.seq

    def events(self, reports: Sequence[Report], ts_ns: int) -> TapeEvents:
        """Trades of every fill in ``reports``, then the mid and the book as they stand now."""
        ref, tick, lot = self.ref, self._tick, self._lot
        trades = [
            TradeTick(ref, str(f.trade_id), tick * f.price, lot * f.qty, f.taker_side, f.ts or ts_ns)
            for report in reports
            for f in report.fills
        ]
        return TapeEvents(trades, self._mid(ts_ns), self._book(ts_ns))

    def _mid(self, ts_ns: int) -> MidPrice | None:
        bid, ask = self.engine.best_bid(), self.engine.best_ask()
        if bid is None or ask is None or bid + ask == self._last_mid_sum:
            return None
        self._last_mid_sum = bid + ask
        tick = self._tick
        return MidPrice(self.ref, tick * (bid + ask) / 2, tick * bid, tick * ask, ts_ns)

    def _book(self, ts_ns: int) -> BookSnapshot | None:
        engine = self.engine
        if engine.seq == self._last_seq:
            return None
        self._last_seq = engine.seq
        snap = engine.snapshot(self.depth)
        return BookSnapshot(self.ref, snap.seq, self._levels(snap.bids), self._levels(snap.asks), ts_ns)

    def _levels(self, levels: Sequence[tuple[int, int]]) -> tuple[Level, ...]:
        tick, lot = self._tick, self._lot
        return tuple((tick * p, lot * q) for p, q in levels)
