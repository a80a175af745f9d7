"""Public market endpoints: time, instruments-info, tickers, orderbook, kline, recent-trade, funding history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.application.venue.rules import QUOTE_PRECISION
from tradewind.application.venue.tape import KLINE_INTERVALS
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import fmt
from tradewind.interfaces.sim_exchange.bybit_v5.call import Call, page
from tradewind.interfaces.sim_exchange.bybit_v5.errors import params_error
from tradewind.interfaces.sim_exchange.bybit_v5.params import Params
from tradewind.interfaces.sim_exchange.bybit_v5.render import kline_row, trade_row

# Categories Bybit has that this venue answers with empty lists, so clients that scan them all still work.
_EMPTY_CATEGORIES = ("inverse", "option")
_MAX_PRICE_TICKS = 19_999_998


def server_time(call: Call) -> dict[str, Any]:
    return {"timeSecond": str(call.now_ns // 1_000_000_000), "timeNano": str(call.now_ns)}


def _category_or_empty(params: Params, default: str | None = None) -> Category | None:
    """The requested category, or None for one Bybit has but this venue does not trade."""
    raw = params.text("category", required=default is None, default=default or "")
    if raw in _EMPTY_CATEGORIES:
        return None
    return params.category(Category.SPOT, Category.LINEAR)


def _decimals(step: Decimal) -> str:
    return str(max(0, -step.normalize().as_tuple().exponent))  # type: ignore[operator]


def _spot_item(inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": inst.symbol,
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "innovation": "0",
        "status": "Trading",
        "marginTrading": "none",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": fmt(inst.qty_step),
            "quotePrecision": fmt(QUOTE_PRECISION),
            "minOrderQty": fmt(inst.min_qty),
            "maxOrderQty": fmt(inst.max_qty),
            "minOrderAmt": fmt(inst.min_notional),
            "maxOrderAmt": "9999999999",
            "maxLimitOrderQty": fmt(inst.max_qty),
            "maxMarketOrderQty": fmt(inst.max_qty),
        },
        "priceFilter": {"tickSize": fmt(inst.tick_size)},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
    }


def _linear_item(inst: Instrument, max_leverage: Decimal, funding_interval_ms: int) -> dict[str, Any]:
    return {
        "symbol": inst.symbol,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "settleCoin": inst.quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": _decimals(inst.tick_size),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": fmt(max_leverage), "leverageStep": "0.01"},
        "priceFilter": {
            "minPrice": fmt(inst.tick_size),
            "maxPrice": fmt(inst.tick_size * _MAX_PRICE_TICKS),
            "tickSize": fmt(inst.tick_size),
        },
        "lotSizeFilter": {
            "maxOrderQty": fmt(inst.max_qty),
            "minOrderQty": fmt(inst.min_qty),
            "qtyStep": fmt(inst.qty_step),
            "postOnlyMaxOrderQty": fmt(inst.max_qty),
            "maxMktOrderQty": fmt(inst.max_qty),
            "minNotionalValue": fmt(inst.min_notional),
        },
        "unifiedMarginTrade": True,
        "fundingInterval": funding_interval_ms // 60_000,  # minutes, as Bybit (the tickers say hours)
        "copyTrading": "none",
        "upperFundingRate": "0.00375",
        "lowerFundingRate": "-0.00375",
        "isPreListing": False,
        "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
        "displayName": "",
    }


def instruments_info(call: Call) -> dict[str, Any]:
    p = call.params
    raw_category = p.text("category", required=True)
    category = _category_or_empty(p)
    symbol, status, base = p.text("symbol"), p.text("status"), p.text("baseCoin")
    if category is None or status not in ("", "Trading"):
        return {"category": raw_category, "list": [], "nextPageCursor": ""}
    venue = call.venue
    items = [
        _spot_item(i)
        if category is Category.SPOT
        else _linear_item(i, venue.settings.max_leverage, venue.funding_interval_ms)
        for i in venue.instruments(category)
        if (not symbol or i.symbol == symbol) and (not base or i.base == base)
    ]
    if category is Category.SPOT:
        return {"category": category.value, "list": items, "nextPageCursor": ""}  # Bybit pages no spot list
    chunk, cursor = page(items, p, default_limit=500, max_limit=1000)
    return {"category": category.value, "list": chunk, "nextPageCursor": cursor}


def tickers(call: Call) -> dict[str, Any]:
    p = call.params
    raw_category = p.text("category", required=True)
    category = _category_or_empty(p)
    if category is None:
        return {"category": raw_category, "list": []}
    symbol, base = p.text("symbol"), p.text("baseCoin")
    if symbol:
        call.venue.instrument(category, symbol)
    items = [
        _ticker(call, inst)
        for inst in call.venue.instruments(category)
        if (not symbol or inst.symbol == symbol) and (not base or inst.base == base)
    ]
    return {"category": category.value, "list": items}


def _ticker(call: Call, inst: Instrument) -> dict[str, Any]:
    venue = call.venue
    engine = venue.engine(inst.category, inst.symbol)
    stats = venue.tape(inst.category, inst.symbol).stats(call.now_ms)
    snap = engine.snapshot(1)
    bid = snap.bids[0] if snap.bids else None
    ask = snap.asks[0] if snap.asks else None
    last = stats.last_price if stats.last_price is not None else engine.mid()
    change = ""
    if last is not None and stats.prev_price_24h:
        change = fmt(((last - stats.prev_price_24h) / stats.prev_price_24h).quantize(Decimal("0.000001")))
    item: dict[str, Any] = {
        "symbol": inst.symbol,
        "bid1Price": fmt(inst.ticks_to_price(bid[0])) if bid else "",
        "bid1Size": fmt(inst.lots_to_qty(bid[1])) if bid else "",
        "ask1Price": fmt(inst.ticks_to_price(ask[0])) if ask else "",
        "ask1Size": fmt(inst.lots_to_qty(ask[1])) if ask else "",
        "lastPrice": fmt(last) if last is not None else "",
        "prevPrice24h": fmt(stats.prev_price_24h) if stats.prev_price_24h is not None else "",
        "price24hPcnt": change,
        "highPrice24h": fmt(stats.high) if stats.high is not None else "",
        "lowPrice24h": fmt(stats.low) if stats.low is not None else "",
        "turnover24h": fmt(stats.turnover),
        "volume24h": fmt(stats.volume),
    }
    if inst.category is Category.SPOT:
        item["usdIndexPrice"] = fmt(last) if last is not None else ""
        return item
    mark_price, index_price = venue.mark_price(inst.symbol), venue.index_price(inst.symbol)
    item.update(
        indexPrice=fmt(index_price) if index_price is not None else "",
        markPrice=fmt(mark_price) if mark_price is not None else "",
        prevPrice1h=fmt(stats.prev_price_1h) if stats.prev_price_1h is not None else "",
        openInterest="0",
        openInterestValue="0",
        fundingRate=fmt(venue.funding_rate(inst.symbol)),
        nextFundingTime=str(venue.next_funding_time(inst.symbol)),
        fundingIntervalHour=str(venue.funding_interval_ms // 3_600_000),
        predictedDeliveryPrice="",
        basisRate="",
        basis="",
        deliveryFeeRate="",
        deliveryTime="0",
        curPreListingPhase="",
    )
    return item


def orderbook(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    symbol = p.text("symbol", required=True)
    engine = call.venue.engine(category, symbol)
    inst = engine.instrument
    limit = p.integer("limit", default=1 if category is Category.SPOT else 25, lo=1, hi=1000)
    snap = engine.snapshot(limit)
    return {
        "s": symbol,
        "b": [[fmt(inst.ticks_to_price(px)), fmt(inst.lots_to_qty(q))] for px, q in snap.bids],
        "a": [[fmt(inst.ticks_to_price(px)), fmt(inst.lots_to_qty(q))] for px, q in snap.asks],
        "ts": call.now_ms,
        "u": snap.seq,
        "seq": snap.seq,
        "cts": call.now_ms,
    }


def kline(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR, default=Category.LINEAR)
    symbol = p.text("symbol", required=True)
    interval = p.text("interval", required=True)
    if interval not in KLINE_INTERVALS:
        raise params_error(f"interval must be one of {', '.join(KLINE_INTERVALS)}, got {interval!r}")
    limit = p.integer("limit", default=200, lo=1, hi=1000)
    start, end = p.millis("start"), p.millis("end")
    bars = call.venue.tape(category, symbol).klines(interval, start, end, limit)
    return {"category": category.value, "symbol": symbol, "list": [kline_row(b) for b in bars]}


def recent_trades(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    symbol = p.text("symbol", required=True)
    spot = category is Category.SPOT
    limit = p.integer("limit", default=60 if spot else 500, lo=1, hi=60 if spot else 1000)
    trades = call.venue.tape(category, symbol).recent(limit)
    return {"category": category.value, "list": [trade_row(symbol, t) for t in trades]}


def funding_history(call: Call) -> dict[str, Any]:
    """Settled funding rates of a perpetual, newest first (``/v5/market/funding/history``)."""
    p = call.params
    category = p.category(Category.LINEAR)
    symbol = p.text("symbol", required=True)
    limit = p.integer("limit", default=200, lo=1, hi=200)
    start, end = p.millis("startTime"), p.millis("endTime")
    records = call.venue.funding_history(symbol, start, end, limit)
    rows = [{"symbol": r.symbol, "fundingRate": fmt(r.rate), "fundingRateTimestamp": str(r.ts_ms)} for r in records]
    return {"category": category.value, "list": rows}
