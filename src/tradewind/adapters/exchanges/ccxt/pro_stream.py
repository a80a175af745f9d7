"""CcxtProStream: the MarketStream port over ccxt.pro's ``watch_order_book`` and ``watch_trades``, for any exchange.

ccxt.pro keeps the book in sync itself (snapshot, sequence checks, re-snapshot) and hands back the whole book on
each update; this stream turns that into one snapshot, then the difference of the top ``depth`` levels per update.
ccxt.pro stores book levels as floats: each is turned back into its decimal (shortest repr) and must sit exactly on
the instrument's tick and lot grid, else the stream fails (ValueError) rather than round a price.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from tradewind.adapters.exchanges.ccxt import unified
from tradewind.adapters.exchanges.ccxt.merge import Producer, merged
from tradewind.application.ports.market_data import BookUpdate, StreamClosed, StreamEvent, UpdateKind
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.market import InstrumentRef, Level, TradeTick
from tradewind.domain.values import Side

_View = dict[Decimal, Decimal]
_Queue = asyncio.Queue[StreamEvent | BaseException]


def on_grid(value: Any, step: Decimal, what: str, symbol: str) -> Decimal:
    """``value`` (a float or string from ccxt) as the exact Decimal it stands for, checked against ``step``."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    if exact % step != 0:
        raise FilterError(f"{what}_grid", f"{symbol}: {what} {exact} from the stream is not a multiple of {step}")
    return exact


class CcxtProStream:
    """One ccxt.pro client shared by every subscription of one exchange entry."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._factory = client_factory
        self._client: Any = None
        self._markets: dict[tuple[str, str], unified.Market] = {}
        self._lock = asyncio.Lock()

    @property
    def contiguous_u(self) -> bool:
        return False  # ccxt.pro checks the venue's sequence itself; ``u`` here counts the updates it hands over

    async def stream(self, ref: InstrumentRef, depth: int) -> AsyncIterator[StreamEvent]:
        client, market = await self._open(ref)
        producers: list[tuple[str, Producer[StreamEvent]]] = [
            (f"book {ref.topic('book')}", functools.partial(self._books, client, ref, market, depth)),
            (f"trades {ref.topic('trade')}", functools.partial(self._trades, client, ref, market)),
        ]
        events: AsyncIterator[StreamEvent] = merged(producers)
        async for event in events:
            yield event

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _open(self, ref: InstrumentRef) -> tuple[Any, unified.Market]:
        async with self._lock:
            if self._client is None:
                self._client = self._factory()
            key = (ref.category.value, ref.symbol)
            if key not in self._markets:
                rows = await _translate(ref, self._client.load_markets())
                for row in rows.values():
                    category = unified.category_of(row)
                    if category is not None and (category.value, str(row["id"])) == key:
                        self._markets[key] = unified.market(row, self._client.precisionMode, allow_float=True)
            market = self._markets.get(key)
            if market is None:
                raise ValueError(f"{ref.exchange}: unknown {ref.category.value} symbol {ref.symbol!r}")
            return self._client, market

    async def _books(self, client: Any, ref: InstrumentRef, market: unified.Market, depth: int, queue: _Queue) -> None:
        try:
            bids: _View | None = None
            asks: _View = {}
            count = 0
            while True:
                book = await _translate(ref, client.watch_order_book(market.ccxt_symbol))
                new_bids = _view(book["bids"], depth, market)
                new_asks = _view(book["asks"], depth, market)
                count += 1
                nonce = book.get("nonce")
                seq = int(nonce) if isinstance(nonce, int) else count
                ts_ns = int(book.get("timestamp") or 0) * 1_000_000
                if bids is None:
                    kind, b, a = UpdateKind.SNAPSHOT, _levels(new_bids), _levels(new_asks)
                else:
                    b, a = _levels(_diff(bids, new_bids)), _levels(_diff(asks, new_asks))
                    if not b and not a:
                        continue
                    kind = UpdateKind.DELTA
                await queue.put(BookUpdate(kind, b, a, count, seq, ts_ns))
                bids, asks = new_bids, new_asks
        except Exception as exc:  # handed to the consumer, which resynchronises
            await queue.put(exc)

    async def _trades(self, client: Any, ref: InstrumentRef, market: unified.Market, queue: _Queue) -> None:
        inst = market.instrument
        try:
            while True:
                for trade in await _translate(ref, client.watch_trades(market.ccxt_symbol)):
                    side = Side.BUY if trade.get("side") == "buy" else Side.SELL
                    price = on_grid(trade["price"], inst.tick_size, "price", inst.symbol)
                    qty = market.base(on_grid(trade["amount"], _amount_step(market), "qty", inst.symbol))
                    ts_ns = int(trade.get("timestamp") or 0) * 1_000_000
                    await queue.put(TradeTick(ref, str(trade.get("id")), price, qty, side, ts_ns))
        except Exception as exc:
            await queue.put(exc)


async def _translate(ref: InstrumentRef, call: Any) -> Any:
    """Await a ccxt.pro call; a network failure ends the stream (StreamClosed), any other refusal is a ValueError."""
    try:
        return await call
    except ccxt_async.NetworkError as exc:
        raise StreamClosed(f"{ref.topic('book')}: {type(exc).__name__}: {exc}") from exc
    except ccxt_async.BaseError as exc:
        raise ValueError(f"{ref.topic('book')}: {type(exc).__name__}: {exc}") from exc


def _amount_step(market: unified.Market) -> Decimal:
    return market.instrument.qty_step / market.contract_size


def _view(levels: Sequence[Sequence[Any]], depth: int, market: unified.Market) -> _View:
    inst: Instrument = market.instrument
    step = _amount_step(market)
    return {
        on_grid(level[0], inst.tick_size, "price", inst.symbol): market.base(
            on_grid(level[1], step, "qty", inst.symbol)
        )
        for level in levels[:depth]
    }


def _diff(old: _View, new: _View) -> _View:
    """Levels whose size changed, with 0 for a level that is gone."""
    changed = {p: q for p, q in new.items() if old.get(p) != q}
    changed.update({p: Decimal(0) for p in old if p not in new})
    return changed


def _levels(view: _View) -> tuple[Level, ...]:
    return tuple(view.items())
