"""SimMarketStream: the MarketStream port over the in-process venue's matching engines (no network).

A snapshot from ``engine.snapshot(depth)`` at the engine's seq, then one delta per observed seq change:
the difference of the top ``depth`` levels (qty 0 deletes a level that left them), ``u`` = ``seq`` =
the engine's seq, so the local book equals ``engine.snapshot(depth)`` at the same seq.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from tradewind.application.ports.clock import Clock
from tradewind.application.ports.market_data import BookUpdate, StreamEvent, UpdateKind
from tradewind.application.venue import SimVenue, VenueError
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import InstrumentRef, Level, TradeTick

_Side = dict[int, int]  # price ticks -> qty lots


class SimMarketStream:
    """Polls the engine's seq every ``poll_s`` of clock time; trades come from the venue's tape."""

    def __init__(self, venue: SimVenue, clock: Clock, *, poll_s: float = 0.02) -> None:
        if poll_s <= 0:
            raise ValueError(f"poll_s must be > 0, got {poll_s}")
        self._venue = venue
        self._clock = clock
        self._poll_s = poll_s

    @property
    def contiguous_u(self) -> bool:
        return False  # the engine's seq also moves on operations that change no level within depth

    async def stream(self, ref: InstrumentRef, depth: int) -> AsyncIterator[StreamEvent]:
        try:
            engine = self._venue.engine(ref.category, ref.symbol)
            tape = self._venue.tape(ref.category, ref.symbol)
        except VenueError as exc:
            raise ValueError(f"{ref.exchange}: {exc.message}") from None
        inst = engine.instrument
        recent = tape.recent(1)
        last_trade = recent[0].trade_id if recent else 0
        snap = engine.snapshot(depth)
        bids, asks = dict(snap.bids), dict(snap.asks)
        yield BookUpdate(
            UpdateKind.SNAPSHOT, _levels(inst, bids), _levels(inst, asks), snap.seq, snap.seq, self._clock.now_ns()
        )
        seq = snap.seq
        while True:
            await self._clock.sleep(self._poll_s)
            if engine.seq == seq:
                continue
            # Trades first (oldest first), as a venue sends the trade before the book it changed.
            fresh = [t for t in tape.recent(1_000) if t.trade_id > last_trade]
            for trade in reversed(fresh):
                yield TradeTick(ref, str(trade.trade_id), trade.price, trade.qty, trade.side, trade.ts_ms * 1_000_000)
            if fresh:
                last_trade = fresh[0].trade_id
            snap = engine.snapshot(depth)
            new_bids, new_asks = dict(snap.bids), dict(snap.asks)
            yield BookUpdate(
                UpdateKind.DELTA,
                _levels(inst, _diff(bids, new_bids)),
                _levels(inst, _diff(asks, new_asks)),
                snap.seq,
                snap.seq,
                self._clock.now_ns(),
            )
            bids, asks, seq = new_bids, new_asks, snap.seq


def _diff(old: _Side, new: _Side) -> _Side:
    """Levels whose size changed, with 0 for a level that is gone."""
    changed = {p: q for p, q in new.items() if old.get(p) != q}
    changed.update({p: 0 for p in old if p not in new})
    return changed


def _levels(inst: Instrument, side: _Side) -> tuple[Level, ...]:
    return tuple((inst.ticks_to_price(p), inst.lots_to_qty(q)) for p, q in side.items())
