"""Private trade endpoints: order create / amend / cancel / cancel-all, realtime, history, executions."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tradewind.application.venue import Order, OrderRef, OrderRequest
from tradewind.application.venue.account import VenueAccount
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.interfaces.sim_exchange.bybit_v5.call import Call, page
from tradewind.interfaces.sim_exchange.bybit_v5.errors import params_error
from tradewind.interfaces.sim_exchange.bybit_v5.params import Params, time_range
from tradewind.interfaces.sim_exchange.bybit_v5.render import (
    MARKET_UNIT,
    ORDER_STATUS,
    SIDE,
    TIME_IN_FORCE,
    execution_row,
    order_row,
)

_LINK_ID = re.compile(r"^[A-Za-z0-9_\-]{1,36}$")
_ORDER_TYPES = {"Limit": OrderType.LIMIT, "Market": OrderType.MARKET}
_RECENT_CLOSED = 500  # openOnly=1 shows at most this many closed orders, as Bybit


def _unsupported(p: Params, names: Iterable[str], what: str) -> None:
    for name in names:
        if name in p:
            raise params_error(f"{name}: {what} are not supported by this simulator")


def create_order(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    _unsupported(p, ("triggerPrice", "tpLimitPrice", "slLimitPrice", "tpSize", "slSize"), "conditional orders")
    if p.integer("isLeverage", default=0, lo=0, hi=1):
        raise params_error("isLeverage=1: spot margin trading is not supported by this simulator")
    if p.text("orderFilter", default="Order") != "Order":
        raise params_error("orderFilter: only Order is supported (no tpslOrder / StopOrder)")
    tpsl_mode = p.text("tpslMode", default="Full")
    if tpsl_mode not in ("Full", "Partial"):
        raise params_error(f"tpslMode must be Full or Partial, got {tpsl_mode!r}")
    _position_idx(p)
    raw_type = p.text("orderType", required=True)
    if raw_type not in _ORDER_TYPES:
        raise params_error(f"orderType must be Limit or Market, got {raw_type!r}")
    order_type = _ORDER_TYPES[raw_type]
    link_id = p.text("orderLinkId")
    if link_id and not _LINK_ID.match(link_id):
        raise params_error("orderLinkId must be 1..36 characters of A-Z a-z 0-9 _ -")
    qty = p.decimal("qty", required=True)
    assert qty is not None
    price = p.decimal("price") if order_type is OrderType.LIMIT else None  # Bybit ignores a market price
    tif = p.choice("timeInForce", TIME_IN_FORCE, default=TimeInForce.GTC)
    assert tif is not None
    request = OrderRequest(
        category=category,
        symbol=p.text("symbol", required=True),
        side=_side(p),
        order_type=order_type,
        qty=qty,
        price=price,
        tif=tif,
        order_link_id=link_id,
        market_unit=p.choice("marketUnit", MARKET_UNIT) if order_type is OrderType.MARKET else None,
        reduce_only=p.flag("reduceOnly"),
        close_on_trigger=False,
        take_profit=_price_or_none(p, "takeProfit"),
        stop_loss=_price_or_none(p, "stopLoss"),
        tpsl_partial=tpsl_mode == "Partial",
    )
    order = call.venue.place_order(call.account.api_key, request)
    return {"orderId": order.order_id, "orderLinkId": order.order_link_id}


def amend_order(call: Call) -> dict[str, Any]:
    p = call.params
    _unsupported(p, ("triggerPrice", "tpLimitPrice", "slLimitPrice"), "conditional orders")
    order = call.venue.amend_order(
        call.account.api_key,
        _ref(p),
        qty=p.decimal("qty"),
        price=p.decimal("price"),
        take_profit=p.decimal("takeProfit"),
        stop_loss=p.decimal("stopLoss"),
    )
    return {"orderId": order.order_id, "orderLinkId": order.order_link_id}


def cancel_order(call: Call) -> dict[str, Any]:
    order = call.venue.cancel_order(call.account.api_key, _ref(call.params))
    return {"orderId": order.order_id, "orderLinkId": order.order_link_id}


def cancel_all(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    symbol, base, settle = p.text("symbol"), p.text("baseCoin"), p.text("settleCoin")
    if category is Category.LINEAR and not (symbol or base or settle):
        raise params_error("linear cancel-all needs symbol, baseCoin or settleCoin")
    cancelled = call.venue.cancel_all(call.account.api_key, category, symbol, base, settle)
    return {"list": [{"orderId": o.order_id, "orderLinkId": o.order_link_id} for o in cancelled], "success": "1"}


def realtime_orders(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    _need_scope(p, category)
    account = call.account
    order_id, link_id = p.text("orderId"), p.text("orderLinkId")
    if order_id or link_id:
        # By id Bybit ignores openOnly: an open order, or one of the recent closed ones; an older one is in history.
        found = account.find_order(order_id, link_id)
        kept = found is not None and (
            found.status.is_open or any(o.order_id == found.order_id for o in _recent_closed(account, category))
        )
        orders = [found] if found is not None and kept and _matches(found, p, category) else []
    elif p.integer("openOnly", default=0, lo=0, hi=2):
        orders = [o for o in _recent_closed(account, category) if _matches(o, p, category)]
    else:
        orders = [o for o in account.orders_newest_first(open_only=True) if _matches(o, p, category)]
    chunk, cursor = page(orders, p, default_limit=20, max_limit=50)
    return {"category": category.value, "list": [order_row(o) for o in chunk], "nextPageCursor": cursor}


def _recent_closed(account: VenueAccount, category: Category) -> list[Order]:
    """The category's last ``_RECENT_CLOSED`` closed orders, newest first: what ``/v5/order/realtime`` still shows."""
    closed = (o for o in account.orders_newest_first(open_only=False) if not o.status.is_open)
    return list(itertools.islice((o for o in closed if o.category is category), _RECENT_CLOSED))


def order_history(call: Call) -> dict[str, Any]:
    """Orders created in Bybit's 7-day range (``time_range``), newest first; ``orderId`` / ``orderLinkId`` narrow it
    but do not lift it (Bybit's docs name no such exception: a client treats it as windowed)."""
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    status = p.choice("orderStatus", ORDER_STATUS)
    order_id, link_id = p.text("orderId"), p.text("orderLinkId")
    start, end = time_range(p, call.now_ms)
    orders = [
        o
        for o in call.account.orders_newest_first(open_only=False)
        if _matches(o, p, category)
        and (status is None or o.status is status)
        and (not order_id or o.order_id == order_id)
        and (not link_id or o.order_link_id == link_id)
        and start <= o.created_ms <= end
    ]
    chunk, cursor = page(orders, p, default_limit=20, max_limit=50)
    return {"category": category.value, "list": [order_row(o) for o in chunk], "nextPageCursor": cursor}


def executions(call: Call) -> dict[str, Any]:
    """Executions in Bybit's 7-day range (``time_range``), newest first."""
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    exec_type = p.text("execType")
    if exec_type and exec_type != "Trade":
        return {"category": category.value, "list": [], "nextPageCursor": ""}
    symbol, base = p.text("symbol"), p.text("baseCoin")
    order_id, link_id = p.text("orderId"), p.text("orderLinkId")
    start, end = time_range(p, call.now_ms)
    rows = [
        e
        for e in reversed(call.account.executions)
        if e.category is category
        and (not symbol or e.symbol == symbol)
        and (not base or e.symbol.startswith(base))
        and (not order_id or e.order_id == order_id)
        and (not link_id or e.order_link_id == link_id)
        and start <= e.exec_time_ms <= end
    ]
    chunk, cursor = page(rows, p, default_limit=50, max_limit=100)
    return {"category": category.value, "list": [execution_row(e) for e in chunk], "nextPageCursor": cursor}


def _side(p: Params) -> Side:
    side = p.choice("side", SIDE, required=True)
    assert side is not None
    return side


def _position_idx(p: Params) -> None:
    if p.integer("positionIdx", default=0, lo=0, hi=2):
        raise params_error("position idx not match position mode: only one-way mode (positionIdx 0) is served")


def _price_or_none(p: Params, name: str) -> Decimal | None:
    value = p.decimal(name)
    return value if value else None  # "0" means none on create


def _ref(p: Params) -> OrderRef:
    category = p.category(Category.SPOT, Category.LINEAR)
    order_id, link_id = p.text("orderId"), p.text("orderLinkId")
    if not order_id and not link_id:
        raise params_error("orderId or orderLinkId is required")
    return OrderRef(category, p.text("symbol", required=True), order_id, link_id)


def _need_scope(p: Params, category: Category) -> None:
    if category is Category.LINEAR and not any(n in p for n in ("symbol", "baseCoin", "settleCoin")):
        raise params_error("linear queries need symbol, baseCoin or settleCoin")


def _matches(o: Order, p: Params, category: Category) -> bool:
    symbol, base, settle = p.text("symbol"), p.text("baseCoin"), p.text("settleCoin")
    return (
        o.category is category
        and (not symbol or o.symbol == symbol)
        and (not base or o.instrument.base == base)
        and (not settle or o.instrument.quote == settle)
    )
