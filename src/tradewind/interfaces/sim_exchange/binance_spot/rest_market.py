"""Public market endpoints: ping, time, exchangeInfo, depth, trades, aggTrades, klines, tickers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tradewind.application.venue.tape import PublicTrade, interval_start
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.binance_spot.call import Call
from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code, illegal
from tradewind.interfaces.sim_exchange.binance_spot.params import Params
from tradewind.interfaces.sim_exchange.binance_spot.render import (
    agg_trades,
    book_ticker_row,
    fmt8,
    kline_row,
    levels,
    opt8,
    ticker_of,
    ticker_row,
    trade_row,
)

MAX_DEPTH = 5000  # Binance truncates a larger depth limit to this
MAX_PRICE_TICKS = 10_000_000  # PRICE_FILTER maxPrice = tick size x this
_HOUR_MS = 3_600_000
ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET")
# Binance interval -> the tape's (Bybit's) interval; 1s, 8h and 3d bars are not kept.
INTERVALS = {
    "1m": "1", "3m": "3", "5m": "5", "15m": "15", "30m": "30", "1h": "60", "2h": "120", "4h": "240",
    "6h": "360", "12h": "720", "1d": "D", "1w": "W", "1M": "M",
}  # fmt: skip


def ping(call: Call) -> dict[str, Any]:
    return {}


def server_time(call: Call) -> dict[str, Any]:
    return {"serverTime": call.now_ms}


# --- exchangeInfo -----------------------------------------------------------------------------------


def _precision(*steps: Decimal) -> int:
    """Decimals Binance announces for an asset: 8, or more if a step of the instrument needs them."""
    return max(8, *(max(0, -int(s.normalize().as_tuple().exponent)) for s in steps))


def _filters(inst: Instrument, max_orders: int) -> list[dict[str, Any]]:
    lot = {"minQty": fmt8(inst.min_qty), "maxQty": fmt8(inst.max_qty), "stepSize": fmt8(inst.qty_step)}
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": fmt8(inst.tick_size),
            "maxPrice": fmt8(inst.tick_size * MAX_PRICE_TICKS),
            "tickSize": fmt8(inst.tick_size),
        },
        {"filterType": "LOT_SIZE", **lot},
        {"filterType": "MARKET_LOT_SIZE", **lot},
        # The venue checks the minimum notional of LIMIT orders and of quoteOrderQty, not of MARKET quantities.
        {
            "filterType": "NOTIONAL",
            "minNotional": fmt8(inst.min_notional),
            "applyMinToMarket": False,
            "avgPriceMins": 5,
        },
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": max_orders},
    ]


def _symbol_info(inst: Instrument, max_orders: int, permission_sets: bool) -> dict[str, Any]:
    return {
        "symbol": inst.symbol,
        "status": "TRADING",
        "baseAsset": inst.base,
        "baseAssetPrecision": _precision(inst.qty_step),
        "quoteAsset": inst.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": _filters(inst, max_orders),
        "permissions": [],
        "permissionSets": [["SPOT"]] if permission_sets else [],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    }


def _permissions_match(p: Params) -> bool:
    raw = p.text("permissions")
    if not raw:
        return True
    try:
        wanted = json.loads(raw) if raw.startswith("[") else [raw]
    except ValueError as exc:
        raise illegal("permissions", '"SPOT" or ["SPOT","MARGIN"]', f"permissions={raw!r}") from exc
    return "SPOT" in wanted


def exchange_info(call: Call) -> dict[str, Any]:
    p = call.params
    chosen = call.instruments()
    status = p.choice("symbolStatus", ("TRADING", "HALT", "BREAK"))
    show_sets = p.flag("showPermissionSets") is not False
    instruments = chosen if chosen is not None else call.venue.instruments(Category.SPOT)
    if status not in ("", "TRADING") or not _permissions_match(p):
        instruments = []
    s = call.settings
    return {
        "timezone": "UTC",
        "serverTime": call.now_ms,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": s.weight_limit}
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(i, call.venue.settings.max_open_orders, show_sets) for i in instruments],
    }


# --- order book and trades --------------------------------------------------------------------------


def depth_limit(p: Params) -> int:
    raw = p.raw("limit")
    return min(int(raw), MAX_DEPTH) if raw.isdigit() and int(raw) > 0 else 100


def depth(call: Call) -> dict[str, Any]:
    """The book at ``lastUpdateId``, an event boundary of every ``@depth`` stream of the symbol."""
    inst = call.instrument()
    call.params.integer("limit", lo=1, hi=2**31 - 1)
    limit = depth_limit(call.params)
    update_id = call.streams.depth_snapshot_id(inst.symbol)
    snap = call.streams.market(inst.symbol).engine.snapshot(limit)
    return {"lastUpdateId": update_id, "bids": levels(inst, snap.bids), "asks": levels(inst, snap.asks)}


def _kept_trades(call: Call, inst: Instrument) -> list[PublicTrade]:
    """Every trade the tape still holds, oldest first."""
    tape = call.venue.tape(Category.SPOT, inst.symbol)
    return list(reversed(tape.recent(call.venue.settings.recent_trades)))


def trades(call: Call) -> list[dict[str, Any]]:
    inst = call.instrument()
    limit = call.params.integer("limit", lo=1, hi=1000) or 500
    newest = call.venue.tape(Category.SPOT, inst.symbol).recent(limit)
    return [trade_row(t) for t in reversed(newest)]


def historical_trades(call: Call) -> list[dict[str, Any]]:
    inst = call.instrument()
    limit = call.params.integer("limit", lo=1, hi=1000) or 500
    from_id = call.params.integer("fromId", lo=0, hi=2**63 - 1)
    kept = _kept_trades(call, inst)
    chosen = kept[-limit:] if from_id is None else [t for t in kept if t.trade_id >= from_id][:limit]
    return [trade_row(t) for t in chosen]


def aggregate_trades(call: Call) -> list[dict[str, Any]]:
    p = call.params
    inst = call.instrument()
    limit = p.integer("limit", lo=1, hi=1000) or 500
    from_id = p.integer("fromId", lo=0, hi=2**63 - 1)
    start, end = call.window(max_ms=_HOUR_MS)
    if from_id is not None and (start is not None or end is not None):
        raise BinanceError(Code.BAD_PARAM_COMBINATION, "fromId cannot be sent with startTime or endTime")
    rows = agg_trades(_kept_trades(call, inst))
    if from_id is not None:
        return [r for r in rows if r["a"] >= from_id][:limit]
    if start is None and end is None:
        return rows[-limit:]
    inside = [r for r in rows if (start is None or r["T"] >= start) and (end is None or r["T"] <= end)]
    return inside[:limit] if start is not None else inside[-limit:]


# --- klines and tickers -----------------------------------------------------------------------------


def _close_ms(interval: str, start_ms: int) -> int:
    """The last millisecond of the bar starting at ``start_ms``."""
    if interval == "M":
        return interval_start("M", start_ms + 32 * 86_400_000) - 1
    span = {"D": 86_400_000, "W": 7 * 86_400_000}.get(interval)
    return start_ms + (span if span is not None else int(interval) * 60_000) - 1


def klines(call: Call) -> list[list[Any]]:
    p = call.params
    inst = call.instrument()
    raw = p.text("interval", required=True)
    interval = INTERVALS.get(raw)
    if interval is None:
        raise BinanceError(Code.INVALID_INTERVAL, f"interval={raw!r}; served: {', '.join(INTERVALS)}")
    zone = p.text("timeZone")
    if zone not in ("", "0", "+00:00", "00:00"):
        raise illegal("timeZone", "0", f"timeZone={zone!r}: only UTC bars are kept")
    limit = p.integer("limit", lo=1, hi=1000) or 500
    start, end = p.millis("startTime"), p.millis("endTime")
    tape = call.venue.tape(Category.SPOT, inst.symbol)
    bars = list(reversed(tape.klines(interval, start, end, call.venue.settings.kline_minutes)))
    chosen = bars[:limit] if start is not None else bars[-limit:]
    return [kline_row(k, _close_ms(interval, k.start_ms)) for k in chosen]


def _chosen(call: Call) -> tuple[list[Instrument], bool]:
    """The instruments asked for (all without ``symbol`` / ``symbols``), and whether one object is answered."""
    chosen = call.instruments()
    if chosen is None:
        return call.venue.instruments(Category.SPOT), False
    return chosen, "symbol" in call.params


def ticker_24hr(call: Call) -> dict[str, Any] | list[dict[str, Any]]:
    mini = call.params.choice("type", ("FULL", "MINI")) == "MINI"
    instruments, single = _chosen(call)
    rows = [ticker_row(ticker_of(call.venue, i, call.now_ms), mini=mini) for i in instruments]
    return rows[0] if single else rows


def _best(call: Call, inst: Instrument) -> tuple[tuple[Decimal, Decimal] | None, tuple[Decimal, Decimal] | None]:
    snap = call.venue.engine(Category.SPOT, inst.symbol).snapshot(1)
    bid = (inst.ticks_to_price(snap.bids[0][0]), inst.lots_to_qty(snap.bids[0][1])) if snap.bids else None
    ask = (inst.ticks_to_price(snap.asks[0][0]), inst.lots_to_qty(snap.asks[0][1])) if snap.asks else None
    return bid, ask


def book_ticker(call: Call) -> dict[str, Any] | list[dict[str, Any]]:
    instruments, single = _chosen(call)
    rows = [book_ticker_row(i.symbol, *_best(call, i)) for i in instruments]
    return rows[0] if single else rows


def price_ticker(call: Call) -> dict[str, Any] | list[dict[str, Any]]:
    instruments, single = _chosen(call)
    rows = [
        {"symbol": i.symbol, "price": opt8(call.venue.tape(Category.SPOT, i.symbol).last_price)} for i in instruments
    ]
    return rows[0] if single else rows


# --- request weights (Binance's table) ---------------------------------------------------------------


def depth_weight(p: Params) -> int:
    limit = depth_limit(p)
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _symbol_count(p: Params) -> int | None:
    if p.raw("symbol"):
        return 1
    if p.raw("symbols"):
        return max(1, p.raw("symbols").count(",") + 1)
    return None


def ticker_weight(p: Params) -> int:
    count = _symbol_count(p)
    if count is None or count > 100:
        return 80
    return 2 if count <= 20 else 40


def book_ticker_weight(p: Params) -> int:
    return 2 if _symbol_count(p) == 1 else 4
