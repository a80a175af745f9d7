"""Signed endpoints: order new / query / cancel, openOrders, allOrders, myTrades, account."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from tradewind.application.venue import MarketUnit, Order, OrderRef, OrderRequest, VenueError
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts import ZERO
from tradewind.interfaces.sim_exchange.binance_spot.call import Call
from tradewind.interfaces.sim_exchange.binance_spot.errors import (
    WOULD_TAKE,
    BinanceError,
    Code,
    filter_failure,
    from_venue,
    illegal,
    not_required,
    rejected,
)
from tradewind.interfaces.sim_exchange.binance_spot.render import (
    TIME_IN_FORCE,
    ack_row,
    cancel_row,
    fill_row,
    fmt8,
    my_trade_row,
    order_row,
    result_row,
    status,
)
from tradewind.interfaces.sim_exchange.binance_spot.rest_market import MAX_PRICE_TICKS, ORDER_TYPES

_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_CLIENT_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"
_TIFS = {word: tif for tif, word in TIME_IN_FORCE.items()}
_UNSUPPORTED = (
    "stopPrice", "trailingDelta", "icebergQty", "strategyId", "strategyType", "selfTradePreventionMode",
    "pegPriceType", "pegOffsetValue", "pegOffsetType",
)  # fmt: skip
NEW_ORDER_PARAMS = (
    "symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price", "newClientOrderId",
    "newOrderRespType", *_UNSUPPORTED,
)  # fmt: skip
_BOTH_IDS_EMPTY = "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"


def new_client_order_id() -> str:
    """What Binance makes up when a request names no client order id: 22 characters."""
    return "tw" + secrets.token_hex(10)


# --- new order --------------------------------------------------------------------------------------


def new_order(call: Call) -> dict[str, Any]:
    p = call.params
    inst = call.instrument()
    for name in _UNSUPPORTED:
        if name in p:
            raise BinanceError(
                Code.UNSUPPORTED_OPERATION, f"{name}: only LIMIT, LIMIT_MAKER and MARKET orders are simulated"
            )
    side = Side.BUY if p.choice("side", ("BUY", "SELL"), required=True, code=Code.INVALID_SIDE) == "BUY" else Side.SELL
    kind = p.choice("type", ORDER_TYPES, required=True, code=Code.INVALID_ORDER_TYPE)
    request = _limit_request(call, inst, side, kind) if kind != "MARKET" else _market_request(call, inst, side)
    resp_type = p.choice("newOrderRespType", ("ACK", "RESULT", "FULL")) or ("ACK" if kind == "LIMIT_MAKER" else "FULL")
    if kind == "LIMIT_MAKER":
        _refuse_if_taking(call, inst, request)
    try:
        order = call.venue.place_order(call.account.api_key, request)
    except VenueError as exc:
        raise from_venue(exc) from exc
    order_id = call.ids.of_order(order)
    if resp_type == "ACK":
        return ack_row(order, order_id, call.now_ms)
    row = result_row(order, order_id, call.now_ms)
    if resp_type == "FULL":
        row["fills"] = [fill_row(e, call.ids.trade_of(e)) for e in _fills_of(call, order)]
    return row


def _client_order_id(call: Call, name: str) -> str:
    value = call.params.text(name)
    if not value:
        return new_client_order_id()
    if not _CLIENT_ID.match(value):
        raise illegal(name, _CLIENT_ID_RANGE, f"{name}={value!r}")
    return value


def _price(call: Call, inst: Instrument) -> Decimal:
    price = call.params.decimal("price", required=True)
    assert price is not None
    max_price = inst.tick_size * MAX_PRICE_TICKS
    if not inst.tick_size <= price <= max_price:
        raise filter_failure("PRICE_FILTER", f"price {price} is outside [{inst.tick_size}, {max_price}]")
    try:
        inst.price_to_ticks(price)
    except FilterError as exc:
        raise filter_failure("PRICE_FILTER", str(exc)) from exc
    return price


def _quantity(call: Call, name: str) -> Decimal:
    qty = call.params.decimal(name, required=True)
    assert qty is not None
    if qty == 0:
        raise filter_failure("LOT_SIZE" if name == "quantity" else "NOTIONAL", f"{name} must be positive")
    return qty


def _limit_request(call: Call, inst: Instrument, side: Side, kind: str) -> OrderRequest:
    p = call.params
    if "quoteOrderQty" in p:
        raise not_required("quoteOrderQty", f"a {kind} order takes quantity")
    if kind == "LIMIT_MAKER":
        if "timeInForce" in p:
            raise not_required("timeInForce", "a LIMIT_MAKER order always rests (post-only)")
        tif = TimeInForce.POST_ONLY
    else:
        raw_tif = p.choice("timeInForce", tuple(_TIFS), required=True, code=Code.INVALID_TIF)
        tif = _TIFS[raw_tif]
    quantity = _quantity(call, "quantity")
    price = _price(call, inst)
    return OrderRequest(
        category=Category.SPOT,
        symbol=inst.symbol,
        side=side,
        order_type=OrderType.LIMIT,
        qty=quantity,
        price=price,
        tif=tif,
        order_link_id=_client_order_id(call, "newClientOrderId"),
    )


def _market_request(call: Call, inst: Instrument, side: Side) -> OrderRequest:
    p = call.params
    for name, why in (("price", "a MARKET order takes no price"), ("timeInForce", "a MARKET order takes none")):
        if name in p:
            raise not_required(name, why)
    if "quantity" in p and "quoteOrderQty" in p:
        raise BinanceError(Code.BAD_PARAM_COMBINATION, "send quantity or quoteOrderQty, not both")
    if "quantity" not in p and "quoteOrderQty" not in p:
        raise BinanceError(
            Code.MANDATORY_PARAM, message="Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
        )
    unit = MarketUnit.BASE if "quantity" in p else MarketUnit.QUOTE
    qty = _quantity(call, "quantity" if unit is MarketUnit.BASE else "quoteOrderQty")
    return OrderRequest(
        category=Category.SPOT,
        symbol=inst.symbol,
        side=side,
        order_type=OrderType.MARKET,
        qty=qty,
        market_unit=unit,
        order_link_id=_client_order_id(call, "newClientOrderId"),
    )


def _refuse_if_taking(call: Call, inst: Instrument, request: OrderRequest) -> None:
    """Binance refuses a LIMIT_MAKER order that would trade at once (the venue would accept and cancel it)."""
    assert request.price is not None
    snap = call.venue.engine(Category.SPOT, inst.symbol).snapshot(1)
    ticks = inst.price_to_ticks(request.price)
    if request.side is Side.BUY and snap.asks and ticks >= snap.asks[0][0]:
        best = inst.ticks_to_price(snap.asks[0][0])
        raise rejected(WOULD_TAKE, f"buy at {request.price} would take the best ask {best}")
    if request.side is Side.SELL and snap.bids and ticks <= snap.bids[0][0]:
        best = inst.ticks_to_price(snap.bids[0][0])
        raise rejected(WOULD_TAKE, f"sell at {request.price} would take the best bid {best}")


def _fills_of(call: Call, order: Order) -> list[Any]:
    """The executions of a just-placed order (all of them happened in this request), oldest first."""
    fills = []
    for execution in reversed(call.account.executions):
        if execution.exec_time_ms < order.created_ms:
            break
        if execution.order_id == order.order_id:
            fills.append(execution)
    fills.reverse()
    return fills


# --- query and cancel -------------------------------------------------------------------------------


def _find(call: Call, inst: Instrument) -> Order | None:
    """The order named by ``orderId`` and / or ``origClientOrderId`` (both must match when both are sent)."""
    p = call.params
    number = p.integer("orderId", lo=0, hi=2**63 - 1)
    client_id = p.text("origClientOrderId")
    if number is None and not client_id:
        raise BinanceError(Code.MANDATORY_PARAM, message=_BOTH_IDS_EMPTY)
    account = call.account
    if number is not None:
        order = call.ids.find(account, number)
        if order is not None and client_id and order.order_link_id != client_id:
            order = None
    else:
        order = account.find_order("", client_id)
    if order is None or order.category is not Category.SPOT or order.symbol != inst.symbol:
        return None
    return order


def _which(call: Call) -> str:
    p = call.params
    return f"orderId {p.text('orderId')}" if "orderId" in p else f"origClientOrderId {p.text('origClientOrderId')!r}"


def query_order(call: Call) -> dict[str, Any]:
    inst = call.instrument()
    order = _find(call, inst)
    if order is None:
        raise BinanceError(Code.NO_SUCH_ORDER, f"{inst.symbol}: no order with {_which(call)} on this account")
    return order_row(order, call.ids.of_order(order))


def cancel_order(call: Call) -> dict[str, Any]:
    p = call.params
    inst = call.instrument()
    restriction = p.choice("cancelRestrictions", ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"))
    cancel_id = _client_order_id(call, "newClientOrderId")
    order = _find(call, inst)
    if order is None:
        raise BinanceError(Code.CANCEL_REJECTED, f"{inst.symbol}: no order with {_which(call)} on this account")
    if not order.status.is_open:
        raise BinanceError(Code.CANCEL_REJECTED, f"order {call.ids.of_order(order)} is already {status(order)}")
    filled = order.cum_exec_qty > ZERO
    if (restriction == "ONLY_NEW" and filled) or (restriction == "ONLY_PARTIALLY_FILLED" and not filled):
        raise BinanceError(
            Code.CANCEL_REJECTED,
            f"order {call.ids.of_order(order)} has {'a' if filled else 'no'} fill; cancelRestrictions={restriction}",
            message="Order was not canceled due to cancel restrictions.",
        )
    try:
        cancelled = call.venue.cancel_order(
            call.account.api_key, OrderRef(Category.SPOT, inst.symbol, order_id=order.order_id)
        )
    except VenueError as exc:
        raise from_venue(exc, missing=Code.CANCEL_REJECTED) from exc
    return cancel_row(cancelled, call.ids.of_order(cancelled), cancel_id, call.now_ms)


def cancel_open_orders(call: Call) -> list[dict[str, Any]]:
    inst = call.instrument()
    open_orders = _open_orders(call, inst)
    if not open_orders:
        raise BinanceError(Code.CANCEL_REJECTED, f"{inst.symbol}: the account has no open orders")
    cancelled = call.venue.cancel_all(call.account.api_key, Category.SPOT, inst.symbol)
    rows = [cancel_row(o, call.ids.of_order(o), new_client_order_id(), call.now_ms) for o in cancelled]
    return sorted(rows, key=lambda r: int(r["orderId"]))


# --- lists ------------------------------------------------------------------------------------------


def _spot_orders(call: Call, inst: Instrument | None, *, open_only: bool) -> list[Order]:
    """The account's spot orders (of ``inst`` if given), oldest first by orderId."""
    orders = [
        o
        for o in call.account.orders_newest_first(open_only=open_only)
        if o.category is Category.SPOT and (inst is None or o.symbol == inst.symbol)
    ]
    return sorted(orders, key=call.ids.of_order)


def _open_orders(call: Call, inst: Instrument | None) -> list[Order]:
    return _spot_orders(call, inst, open_only=True)


def open_orders(call: Call) -> list[dict[str, Any]]:
    inst = call.instrument() if "symbol" in call.params else None
    return [order_row(o, call.ids.of_order(o)) for o in _open_orders(call, inst)]


def all_orders(call: Call) -> list[dict[str, Any]]:
    p = call.params
    inst = call.instrument()
    number = p.integer("orderId", lo=0, hi=2**63 - 1)
    limit = p.integer("limit", lo=1, hi=1000) or 500
    start, end = call.window()
    orders = _spot_orders(call, inst, open_only=False)
    if number is not None:
        chosen = [o for o in orders if call.ids.of_order(o) >= number][:limit]
    elif start is not None or end is not None:
        inside = [o for o in orders if _within(o.created_ms, start, end)]
        chosen = inside[:limit] if start is not None else inside[-limit:]
    else:
        chosen = orders[-limit:]
    return [order_row(o, call.ids.of_order(o)) for o in chosen]


def my_trades(call: Call) -> list[dict[str, Any]]:
    p = call.params
    inst = call.instrument()
    number = p.integer("orderId", lo=0, hi=2**63 - 1)
    from_id = p.integer("fromId", lo=0, hi=2**63 - 1)
    limit = p.integer("limit", lo=1, hi=1000) or 500
    start, end = call.window()
    timed = start is not None or end is not None
    if timed and (number is not None or from_id is not None):
        raise BinanceError(Code.BAD_PARAM_COMBINATION, "orderId and fromId cannot be sent with startTime or endTime")
    account = call.account
    rows = [e for e in account.executions if e.category is Category.SPOT and e.symbol == inst.symbol]
    if number is not None:
        rows = [e for e in rows if call.ids.of(account.api_key, e.order_id) == number]
    if from_id is not None:
        rows = [e for e in rows if call.ids.trade_of(e) >= from_id][:limit]
    elif timed:
        inside = [e for e in rows if _within(e.exec_time_ms, start, end)]
        rows = inside[:limit] if start is not None else inside[-limit:]
    else:
        rows = rows[-limit:]
    return [my_trade_row(e, call.ids.of(account.api_key, e.order_id), call.ids.trade_of(e)) for e in rows]


def no_margin_pairs(call: Call) -> list[Any]:
    """Cross and isolated margin pairs: none, the venue trades spot without margin."""
    return []


def _within(ms: int, start: int | None, end: int | None) -> bool:
    return (start is None or ms >= start) and (end is None or ms <= end)


def account_info(call: Call) -> dict[str, Any]:
    omit_zero = call.params.flag("omitZeroBalances") is True
    account = call.account
    wallet = call.venue.wallet_view(account.api_key)
    rates = call.venue.settings.fees[Category.SPOT]
    balances = []
    for coin in wallet.coins:
        free = coin.available
        if omit_zero and not coin.balance:
            continue
        balances.append({"asset": coin.coin, "free": fmt8(free), "locked": fmt8(coin.balance - free)})
    return {
        # Whole basis points, as Binance lists them; commissionRates has the exact fractions.
        "makerCommission": int(rates.maker * 10_000),
        "takerCommission": int(rates.taker * 10_000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": fmt8(rates.maker),
            "taker": fmt8(rates.taker),
            "buyer": fmt8(ZERO),
            "seller": fmt8(ZERO),
        },
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": call.now_ms,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": account.uid,
    }
