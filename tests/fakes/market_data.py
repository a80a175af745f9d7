"""InMemoryMarketDataRepository: the MarketDataRepository port over lists, with a switch that takes it down."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from tradewind.application.ports.repositories import MarketDataRepository
from tradewind.domain.candles import Candle
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick


class _Event(Protocol):
    @property
    def ref(self) -> InstrumentRef: ...

    @property
    def ts_ns(self) -> int: ...


E = TypeVar("E", bound=_Event)


class DatabaseDown(ConnectionError):
    """What a write raises while ``down`` is set, as a lost database connection would."""


class InMemoryMarketDataRepository:
    """Trades (a trade id already stored is skipped), mids, books and candles, each read back oldest first."""

    def __init__(self) -> None:
        self.down = False
        self.writes = 0  # successful add_* calls: one per batch the caller wrote
        self._trades: list[TradeTick] = []
        self._trade_ids: set[tuple[InstrumentRef, str]] = set()
        self._mids: list[MidPrice] = []
        self._books: list[BookSnapshot] = []
        self._candles: dict[tuple[InstrumentRef, int, int], Candle] = {}  # the first of a (market, interval, start)

    async def add_trades(self, trades: Sequence[TradeTick]) -> None:
        self._check()
        for trade in trades:
            if (trade.ref, trade.trade_id) not in self._trade_ids:
                self._trade_ids.add((trade.ref, trade.trade_id))
                self._trades.append(trade)

    async def add_mids(self, mids: Sequence[MidPrice]) -> None:
        self._check()
        self._mids.extend(mids)

    async def add_books(self, books: Sequence[BookSnapshot]) -> None:
        self._check()
        self._books.extend(books)

    async def add_candles(self, candles: Sequence[Candle]) -> None:
        self._check()
        for candle in candles:
            self._candles.setdefault((candle.ref, candle.interval, candle.start_ms), candle)

    async def candles(
        self,
        ref: InstrumentRef,
        interval: int,
        start_ns: int | None = None,
        end_ns: int | None = None,
        *,
        limit: int | None = None,
    ) -> list[Candle]:
        found = sorted(
            (c for (r, i, _), c in self._candles.items() if r == ref and i == interval),
            key=lambda c: c.start_ms,
        )
        found = [
            c
            for c in found
            if (start_ns is None or c.start_ms * 1_000_000 >= start_ns)
            and (end_ns is None or c.start_ms * 1_000_000 < end_ns)
        ]
        return found if limit is None else found[:limit]

    async def trades(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[TradeTick]:
        return _window(self._trades, ref, start_ns, end_ns, limit)

    async def mids(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[MidPrice]:
        return _window(self._mids, ref, start_ns, end_ns, limit)

    async def books(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[BookSnapshot]:
        return _window(self._books, ref, start_ns, end_ns, limit)

    def _check(self) -> None:
        if self.down:
            raise DatabaseDown("the database is down")
        self.writes += 1


def _window(rows: list[E], ref: InstrumentRef, start_ns: int | None, end_ns: int | None, limit: int | None) -> list[E]:
    found = [
        r
        for r in rows
        if r.ref == ref and (start_ns is None or r.ts_ns >= start_ns) and (end_ns is None or r.ts_ns < end_ns)
    ]
    found.sort(key=lambda r: r.ts_ns)
    return found if limit is None else found[:limit]


_conforms: MarketDataRepository = InMemoryMarketDataRepository()
