"""Venue records as Binance spot JSON: every price and quantity an exact decimal string padded to 8 places."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from tradewind.application.venue import CancelCause, Execution, MarketUnit, Order, SimVenue, VenueOrderStatus
from tradewind.application.venue.tape import Kline, PublicTrade
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts import ZERO, exact_context, fmt

DECIMALS = 8  # Binance writes every amount with (at least) 8 decimals
_DAY_MS = 86_400_000
_PCT = Decimal("0.001")
_AVG = Decimal("0.00000001")
# The venue's terms in Binance's words.
TIME_IN_FORCE = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}  # PostOnly: LIMIT_MAKER
_OPEN_STATUS = {
    VenueOrderStatus.NEW: "NEW",
    VenueOrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    VenueOrderStatus.FILLED: "FILLED",
    VenueOrderStatus.REJECTED: "REJECTED",
}


def fmt8(value: Decimal) -> str:
    """``value`` exactly, padded to 8 decimals as Binance writes it (more decimals only if the value has them)."""
    whole, _, frac = fmt(value).partition(".")
    return f"{whole}.{frac.ljust(DECIMALS, '0')}"


def opt8(value: Decimal | None) -> str:
    return fmt8(value if value is not None else ZERO)


def side(value: Side) -> str:
    return "BUY" if value is Side.BUY else "SELL"


def levels(inst: Instrument, book: Sequence[tuple[int, int]]) -> list[list[str]]:
    """Book levels in ticks and lots as ``[["price", "qty"], ...]``."""
    return [[fmt8(inst.ticks_to_price(p)), fmt8(inst.lots_to_qty(q))] for p, q in book]


# --- orders -----------------------------------------------------------------------------------------


def status(o: Order) -> str:
    """Binance's status: a cancel the owner asked for is CANCELED; one the book caused (IOC, FOK, market) EXPIRED."""
    s = o.status
    if s in (VenueOrderStatus.CANCELLED, VenueOrderStatus.PARTIALLY_FILLED_CANCELED):
        return "CANCELED" if o.cancel_cause is CancelCause.USER else "EXPIRED"
    return _OPEN_STATUS[s]


def order_type(o: Order) -> str:
    if o.order_type is OrderType.MARKET:
        return "MARKET"
    return "LIMIT_MAKER" if o.tif is TimeInForce.POST_ONLY else "LIMIT"


def time_in_force(o: Order) -> str:
    if o.order_type is OrderType.MARKET or o.tif is TimeInForce.POST_ONLY:
        return "GTC"  # what Binance shows for MARKET and LIMIT_MAKER orders
    return TIME_IN_FORCE[o.tif]


def quote_order_qty(o: Order) -> Decimal:
    return o.qty if o.market_unit is MarketUnit.QUOTE else ZERO


def orig_qty(o: Order) -> Decimal:
    """Base quantity: for a quote-amount market order, what it could buy or sell (its fills, once done)."""
    return o.cum_exec_qty + o.leaves_qty if o.market_unit is MarketUnit.QUOTE else o.qty


def _state_fields(o: Order) -> dict[str, Any]:
    """What every order answer (RESULT, query, cancel) says of the order's price, sizes and state."""
    return {
        "price": fmt8(o.price),
        "origQty": fmt8(orig_qty(o)),
        "executedQty": fmt8(o.cum_exec_qty),
        "origQuoteOrderQty": fmt8(quote_order_qty(o)),
        "cummulativeQuoteQty": fmt8(o.cum_exec_value),
        "status": status(o),
        "timeInForce": time_in_force(o),
        "type": order_type(o),
        "side": side(o.side),
    }


def ack_row(o: Order, order_id: int, now_ms: int) -> dict[str, Any]:
    """``newOrderRespType=ACK``."""
    return {
        "symbol": o.symbol,
        "orderId": order_id,
        "orderListId": -1,
        "clientOrderId": o.order_link_id,
        "transactTime": now_ms,
    }


def result_row(o: Order, order_id: int, now_ms: int) -> dict[str, Any]:
    """``newOrderRespType=RESULT`` (FULL adds ``fills``)."""
    return {
        **ack_row(o, order_id, now_ms),
        **_state_fields(o),
        "workingTime": o.created_ms,
        "selfTradePreventionMode": "NONE",
    }


def fill_row(e: Execution, trade_id: int) -> dict[str, Any]:
    """One of ``fills`` of a FULL order answer; ``trade_id`` is the execution's ``myTrades`` id."""
    return {
        "price": fmt8(e.exec_price),
        "qty": fmt8(e.exec_qty),
        "commission": fmt8(e.fee),
        "commissionAsset": e.fee_coin,
        "tradeId": trade_id,
    }


def order_row(o: Order, order_id: int) -> dict[str, Any]:
    """One order of ``GET /api/v3/order``, ``openOrders`` and ``allOrders``."""
    return {
        "symbol": o.symbol,
        "orderId": order_id,
        "orderListId": -1,
        "clientOrderId": o.order_link_id,
        **_state_fields(o),
        "stopPrice": fmt8(ZERO),
        "icebergQty": fmt8(ZERO),
        "time": o.created_ms,
        "updateTime": o.updated_ms,
        "isWorking": True,
        "workingTime": o.created_ms,
        "selfTradePreventionMode": "NONE",
    }


def cancel_row(o: Order, order_id: int, client_order_id: str, now_ms: int) -> dict[str, Any]:
    """The answer to ``DELETE /api/v3/order``: the order's new ``clientOrderId`` is the cancel request's own."""
    return {
        "symbol": o.symbol,
        "origClientOrderId": o.order_link_id,
        "orderId": order_id,
        "orderListId": -1,
        "clientOrderId": client_order_id,
        "transactTime": now_ms,
        **_state_fields(o),
        "selfTradePreventionMode": "NONE",
    }


def my_trade_row(e: Execution, order_id: int, trade_id: int) -> dict[str, Any]:
    """One row of ``myTrades``: the execution seen from the account's side, with its commission."""
    return {
        "symbol": e.symbol,
        "id": trade_id,
        "orderId": order_id,
        "orderListId": -1,
        "price": fmt8(e.exec_price),
        "qty": fmt8(e.exec_qty),
        "quoteQty": fmt8(e.exec_value),
        "commission": fmt8(e.fee),
        "commissionAsset": e.fee_coin,
        "time": e.exec_time_ms,
        "isBuyer": e.side is Side.BUY,
        "isMaker": e.is_maker,
        "isBestMatch": True,
    }


# --- market data ------------------------------------------------------------------------------------


def trade_row(t: PublicTrade) -> dict[str, Any]:
    """One row of ``trades`` / ``historicalTrades``."""
    with localcontext(exact_context()):
        quote_qty = t.price * t.qty
    return {
        "id": t.trade_id,
        "price": fmt8(t.price),
        "qty": fmt8(t.qty),
        "quoteQty": fmt8(quote_qty),
        "time": t.ts_ms,
        "isBuyerMaker": t.side is Side.SELL,
        "isBestMatch": True,
    }


def agg_trades(oldest_first: Iterable[PublicTrade]) -> list[dict[str, Any]]:
    """Aggregate trades: consecutive fills of one taker order (one engine operation) at one price."""
    rows: list[dict[str, Any]] = []
    group: list[PublicTrade] = []

    def flush() -> None:
        if group:
            first, last = group[0], group[-1]
            with localcontext(exact_context()):
                qty = sum((t.qty for t in group), ZERO)
            rows.append(
                {
                    "a": first.trade_id,
                    "p": fmt8(first.price),
                    "q": fmt8(qty),
                    "f": first.trade_id,
                    "l": last.trade_id,
                    "T": first.ts_ms,
                    "m": first.side is Side.SELL,
                    "M": True,
                }
            )
            group.clear()

    for trade in oldest_first:
        if group and (trade.seq != group[0].seq or trade.price != group[0].price or trade.side is not group[0].side):
            flush()
        group.append(trade)
    flush()
    return rows


def kline_row(k: Kline, close_ms: int) -> list[Any]:
    """A kline as Binance lists it; the tape keeps no trade count or taker volume, so those are 0."""
    return [
        k.start_ms,
        fmt8(k.open),
        fmt8(k.high),
        fmt8(k.low),
        fmt8(k.close),
        fmt8(k.volume),
        close_ms,
        fmt8(k.turnover),
        0,
        fmt8(ZERO),
        fmt8(ZERO),
        "0",
    ]


@dataclass(frozen=True, slots=True)
class Ticker24:
    """A market's rolling 24 h statistics and best prices, as the REST ticker and the ``@ticker`` stream show them."""

    symbol: str
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    last: Decimal | None
    last_qty: Decimal
    volume: Decimal
    quote_volume: Decimal
    bid: tuple[Decimal, Decimal] | None
    ask: tuple[Decimal, Decimal] | None
    open_ms: int
    close_ms: int
    first_id: int
    last_id: int
    count: int

    @property
    def change(self) -> Decimal:
        return self.last - self.open if self.last is not None and self.open is not None else ZERO

    @property
    def change_pct(self) -> str:
        if not self.open:
            return "0.000"
        return format((self.change / self.open * 100).quantize(_PCT), "f")

    @property
    def weighted_avg(self) -> Decimal:
        return (self.quote_volume / self.volume).quantize(_AVG) if self.volume else ZERO


def ticker_of(venue: SimVenue, inst: Instrument, now_ms: int) -> Ticker24:
    """The 24 h ticker from the venue's tape (trades kept: ``recent_trades``) and the engine's best prices."""
    tape = venue.tape(Category.SPOT, inst.symbol)
    stats = tape.stats(now_ms)
    day = [t for t in tape.recent(venue.settings.recent_trades) if t.ts_ms > now_ms - _DAY_MS]
    snap = venue.engine(Category.SPOT, inst.symbol).snapshot(1)
    bid = (inst.ticks_to_price(snap.bids[0][0]), inst.lots_to_qty(snap.bids[0][1])) if snap.bids else None
    ask = (inst.ticks_to_price(snap.asks[0][0]), inst.lots_to_qty(snap.asks[0][1])) if snap.asks else None
    newest = tape.recent(1)
    return Ticker24(
        symbol=inst.symbol,
        open=stats.prev_price_24h,
        high=stats.high,
        low=stats.low,
        last=stats.last_price,
        last_qty=newest[0].qty if newest else ZERO,
        volume=stats.volume,
        quote_volume=stats.turnover,
        bid=bid,
        ask=ask,
        open_ms=now_ms - _DAY_MS,
        close_ms=now_ms,
        first_id=day[-1].trade_id if day else -1,
        last_id=day[0].trade_id if day else -1,
        count=len(day),
    )


def ticker_row(t: Ticker24, *, mini: bool = False) -> dict[str, Any]:
    """``GET /api/v3/ticker/24hr`` (``type=MINI`` leaves out the change, average and best prices)."""
    row: dict[str, Any] = {"symbol": t.symbol}
    if not mini:
        row.update(priceChange=fmt8(t.change), priceChangePercent=t.change_pct, weightedAvgPrice=fmt8(t.weighted_avg))
        row["prevClosePrice"] = opt8(t.open)
    row["lastPrice"] = opt8(t.last)
    if not mini:
        row.update(
            lastQty=fmt8(t.last_qty),
            bidPrice=opt8(t.bid[0] if t.bid else None),
            bidQty=opt8(t.bid[1] if t.bid else None),
            askPrice=opt8(t.ask[0] if t.ask else None),
            askQty=opt8(t.ask[1] if t.ask else None),
        )
    row.update(
        openPrice=opt8(t.open),
        highPrice=opt8(t.high),
        lowPrice=opt8(t.low),
        volume=fmt8(t.volume),
        quoteVolume=fmt8(t.quote_volume),
        openTime=t.open_ms,
        closeTime=t.close_ms,
        firstId=t.first_id,
        lastId=t.last_id,
        count=t.count,
    )
    return row


def ticker_event(t: Ticker24, now_ms: int, *, mini: bool = False) -> dict[str, Any]:
    """The ``<symbol>@ticker`` stream's ``24hrTicker`` event, or ``@miniTicker``'s ``24hrMiniTicker``."""
    if mini:
        return {
            "e": "24hrMiniTicker",
            "E": now_ms,
            "s": t.symbol,
            "c": opt8(t.last),
            "o": opt8(t.open),
            "h": opt8(t.high),
            "l": opt8(t.low),
            "v": fmt8(t.volume),
            "q": fmt8(t.quote_volume),
        }
    return {
        "e": "24hrTicker",
        "E": now_ms,
        "s": t.symbol,
        "p": fmt8(t.change),
        "P": t.change_pct,
        "w": fmt8(t.weighted_avg),
        "x": opt8(t.open),
        "c": opt8(t.last),
        "Q": fmt8(t.last_qty),
        "b": opt8(t.bid[0] if t.bid else None),
        "B": opt8(t.bid[1] if t.bid else None),
        "a": opt8(t.ask[0] if t.ask else None),
        "A": opt8(t.ask[1] if t.ask else None),
        "o": opt8(t.open),
        "h": opt8(t.high),
        "l": opt8(t.low),
        "v": fmt8(t.volume),
        "q": fmt8(t.quote_volume),
        "O": t.open_ms,
        "C": t.close_ms,
        "F": t.first_id,
        "L": t.last_id,
        "n": t.count,
    }


def book_ticker_row(
    symbol: str, bid: tuple[Decimal, Decimal] | None, ask: tuple[Decimal, Decimal] | None
) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "bidPrice": opt8(bid[0] if bid else None),
        "bidQty": opt8(bid[1] if bid else None),
        "askPrice": opt8(ask[0] if ask else None),
        "askQty": opt8(ask[1] if ask else None),
    }
