"""Checks a new order against the instrument's filters, the account's funds and its position, changing nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

from tradewind.application.venue.account import VenueAccount, order_fees
from tradewind.application.venue.model import MarketUnit, Order, OrderRequest, RejectCode, VenueError
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import ZERO, exact_context, initial_margin

QUOTE_PRECISION = Decimal("0.00000001")  # decimals a quote-coin amount may carry (Bybit's quotePrecision)

_FILTER_CODES = {
    "positive_qty": RejectCode.INVALID_PARAM,
    "positive_price": RejectCode.INVALID_PARAM,
    "tick_size": RejectCode.PRICE_TICK,
    "qty_step": RejectCode.QTY_STEP,
    "min_qty": RejectCode.QTY_TOO_SMALL,
    "max_qty": RejectCode.QTY_TOO_LARGE,
    "min_notional": RejectCode.NOTIONAL_TOO_SMALL,
}


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """What a valid order will do: the lots and ticks sent to the engine, what it locks, the margin it needs."""

    lots: int
    ticks: int | None
    lock_coin: str
    lock_amount: Decimal
    margin: Decimal


def walk_book(
    engine: MatchingEngine, side: Side, *, lots: int | None = None, quote: Decimal | None = None
) -> tuple[int, Decimal]:
    """Lots a market order on ``side`` would get, and their exact value: up to ``lots``, or worth at most ``quote``."""
    inst = engine.instrument
    snap = engine.snapshot()
    levels = snap.asks if side is Side.BUY else snap.bids
    got, cost = 0, ZERO
    with localcontext(exact_context()):
        for ticks, level_lots in levels:
            price = inst.ticks_to_price(ticks)
            if lots is not None:
                take = min(level_lots, lots - got)
            else:
                assert quote is not None
                lot_value = price * inst.qty_step
                take = min(level_lots, int((quote - cost) // lot_value))
            if take <= 0:
                break
            got += take
            cost += inst.lots_to_qty(take) * price
    return got, cost


def _reject(code: RejectCode, message: str, inst: Instrument) -> VenueError:
    return VenueError(code, message, inst.category)


def _check_filters(inst: Instrument, qty: Decimal, price: Decimal | None) -> None:
    try:
        inst.check_order(qty, price)
    except FilterError as exc:
        raise _reject(_FILTER_CODES.get(exc.rule, RejectCode.INVALID_PARAM), str(exc), inst) from exc


def _check_tpsl(inst: Instrument, req: OrderRequest, ref: Decimal | None) -> None:
    if req.take_profit is None and req.stop_loss is None:
        return
    if inst.category is Category.SPOT:
        raise _reject(RejectCode.INVALID_PARAM, "takeProfit/stopLoss on spot orders are not supported here", inst)
    if req.reduce_only:
        raise _reject(RejectCode.INVALID_PARAM, "a reduceOnly order cannot carry takeProfit/stopLoss", inst)
    for name, value in (("takeProfit", req.take_profit), ("stopLoss", req.stop_loss)):
        if value is not None:
            try:
                inst.price_to_ticks(value)
            except FilterError as exc:
                raise _reject(RejectCode.PRICE_TICK, f"{name}: {exc}", inst) from exc
    if ref is None:
        return
    buy = req.side is Side.BUY
    tp, sl = req.take_profit, req.stop_loss
    if tp is not None and (tp <= ref if buy else tp >= ref):
        word = "higher" if buy else "lower"
        raise _reject(RejectCode.TPSL_INVALID, f"takeProfit {tp} of a {req.side.value} must be {word} than {ref}", inst)
    if sl is not None and (sl >= ref if buy else sl <= ref):
        word = "lower" if buy else "higher"
        raise _reject(RejectCode.TPSL_INVALID, f"stopLoss {sl} of a {req.side.value} must be {word} than {ref}", inst)


def plan_order(
    account: VenueAccount, engine: MatchingEngine, req: OrderRequest, last_price: Decimal | None, now_ms: int
) -> OrderPlan:
    """Validate ``req`` completely and say what it will do; raises VenueError, changing nothing."""
    inst = engine.instrument
    if account.link_taken(req.order_link_id):
        raise _reject(RejectCode.DUPLICATE_LINK_ID, f"orderLinkId {req.order_link_id!r} is already used", inst)
    if req.qty <= 0:
        raise _reject(RejectCode.INVALID_PARAM, f"qty must be positive, got {req.qty}", inst)
    if req.order_type is OrderType.LIMIT and req.price is None:
        raise _reject(RejectCode.INVALID_PARAM, "price is required for a Limit order", inst)
    if inst.category is Category.SPOT:
        return _plan_spot(account, engine, req)
    return _plan_linear(account, engine, req, last_price, now_ms)


def _plan_spot(account: VenueAccount, engine: MatchingEngine, req: OrderRequest) -> OrderPlan:
    inst = engine.instrument
    _check_tpsl(inst, req, None)
    if req.reduce_only:
        raise _reject(RejectCode.INVALID_PARAM, "reduceOnly is for contracts, not spot", inst)
    buy = req.side is Side.BUY
    if req.order_type is OrderType.LIMIT:
        assert req.price is not None
        _check_filters(inst, req.qty, req.price)
        lots, ticks = inst.qty_to_lots(req.qty), inst.price_to_ticks(req.price)
        coin, amount = (inst.quote, req.qty * req.price) if buy else (inst.base, req.qty)
        _require(account, inst, coin, amount)
        return OrderPlan(lots, ticks, coin, amount, ZERO)
    unit = req.market_unit or (MarketUnit.QUOTE if buy else MarketUnit.BASE)
    if unit is MarketUnit.QUOTE:
        if req.qty % QUOTE_PRECISION:
            raise _reject(
                RejectCode.AMOUNT_DECIMALS,
                f"{inst.symbol}: amount {req.qty} has more decimals than {QUOTE_PRECISION}",
                inst,
            )
        if req.qty < inst.min_notional:
            raise _reject(
                RejectCode.NOTIONAL_TOO_SMALL,
                f"{inst.symbol}: order value {req.qty} is below the minimum {inst.min_notional} {inst.quote}",
                inst,
            )
        lots, cost = walk_book(engine, req.side, quote=req.qty)
        if buy:
            _require(account, inst, inst.quote, req.qty)
            return OrderPlan(lots, None, inst.quote, cost, ZERO)
        base_qty = inst.lots_to_qty(lots)
        _require(account, inst, inst.base, base_qty)
        return OrderPlan(lots, None, inst.base, base_qty, ZERO)
    _check_filters(inst, req.qty, None)
    lots = inst.qty_to_lots(req.qty)
    if buy:
        _, cost = walk_book(engine, req.side, lots=lots)
        _require(account, inst, inst.quote, cost)
        return OrderPlan(lots, None, inst.quote, cost, ZERO)
    _require(account, inst, inst.base, req.qty)
    return OrderPlan(lots, None, inst.base, req.qty, ZERO)


def _plan_linear(
    account: VenueAccount, engine: MatchingEngine, req: OrderRequest, last_price: Decimal | None, now_ms: int
) -> OrderPlan:
    inst = engine.instrument
    if req.market_unit is not None:
        raise _reject(RejectCode.INVALID_PARAM, "marketUnit is for spot market orders only", inst)
    closable = account.position(inst.symbol, now_ms).position.closable(req.side)
    qty = req.qty
    if req.reduce_only or req.close_on_trigger:
        if closable == 0:
            raise _reject(
                RejectCode.REDUCE_ONLY_ZERO, f"{inst.symbol}: no position that a {req.side.value} reduces", inst
            )
        qty = min(qty, closable)
    if req.close_on_trigger:
        lots = inst.qty_to_lots(inst.floor_qty(qty))  # a protective close takes whatever the position is
        return OrderPlan(lots, None, "", ZERO, ZERO)
    ref = req.price if req.price is not None else last_price
    _check_tpsl(inst, req, ref)
    _check_filters(inst, qty, req.price)
    lots = inst.qty_to_lots(qty)
    ticks = inst.price_to_ticks(req.price) if req.price is not None else None
    if req.order_type is OrderType.LIMIT:
        assert req.price is not None
        notional = qty * req.price
    else:
        got, notional = walk_book(engine, req.side, lots=lots)
        if got and not req.reduce_only:
            est = notional / inst.lots_to_qty(got) * qty
            if est < inst.min_notional:
                raise _reject(
                    RejectCode.NOTIONAL_TOO_SMALL,
                    f"{inst.symbol}: order value {est} is below the minimum {inst.min_notional} {inst.quote}",
                    inst,
                )
        notional = notional if got in (lots, 0) else notional / got * lots
    opening = max(ZERO, qty - closable)
    margin = ZERO
    if opening and not req.reduce_only:
        leverage = account.leverage(inst.symbol)
        opening_notional = notional * opening / qty
        margin = initial_margin(opening_notional, leverage)
        fees = order_fees(opening_notional, req.side, leverage, account.taker_rate)
        available = account.available(inst.quote)
        if margin + fees > available:
            raise _reject(
                RejectCode.INSUFFICIENT_BALANCE,
                f"initial margin {margin} plus fees {fees} {inst.quote} exceed the available "
                f"{max(available, ZERO)} {inst.quote}",
                inst,
            )
    return OrderPlan(lots, ticks, "", ZERO, margin)


def _require(account: VenueAccount, inst: Instrument, coin: str, amount: Decimal) -> None:
    available = account.available(coin)
    if amount > available:
        raise _reject(
            RejectCode.INSUFFICIENT_BALANCE,
            f"{coin}: the order needs {amount}, only {max(available, ZERO)} is available",
            inst,
        )


@dataclass(frozen=True, slots=True)
class AmendPlan:
    """A valid amend: the order's new state, the change of its spot lock, whether the engine must be told."""

    order: Order
    lock_delta: Decimal
    book_change: bool


def plan_amend(
    account: VenueAccount,
    order: Order,
    *,
    qty: Decimal | None,
    price: Decimal | None,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
) -> AmendPlan:
    """Validate an amend of an open order (``qty`` = new total qty); raises VenueError, changing nothing."""
    inst = order.instrument
    cat = inst.category
    if qty is None and price is None and take_profit is None and stop_loss is None:
        raise VenueError(RejectCode.NOT_MODIFIED, "nothing to amend: give qty, price, takeProfit or stopLoss", cat)
    if (take_profit is not None or stop_loss is not None) and cat is Category.SPOT:
        raise VenueError(RejectCode.INVALID_PARAM, "takeProfit/stopLoss on spot orders are not supported here", cat)
    if order.order_type is OrderType.MARKET:
        raise VenueError(RejectCode.ORDER_FINISHED, "a market order cannot be amended", cat)
    new_price = order.price if price is None else price
    new_qty = order.cum_exec_qty + order.leaves_qty if qty is None else qty
    if new_price <= 0 or new_qty <= 0:
        raise VenueError(RejectCode.INVALID_PARAM, f"qty and price must be positive, got {new_qty} @ {new_price}", cat)
    try:
        inst.price_to_ticks(new_price)
        inst.qty_to_lots(new_qty)
    except FilterError as exc:
        raise _reject(_FILTER_CODES[exc.rule], str(exc), inst) from exc
    if new_qty > inst.max_qty:
        raise _reject(
            RejectCode.QTY_TOO_LARGE, f"{inst.symbol}: qty {new_qty} is above the maximum {inst.max_qty}", inst
        )
    new_leaves = new_qty - order.cum_exec_qty
    if new_leaves <= 0:
        raise _reject(RejectCode.INVALID_PARAM, f"qty {new_qty} must exceed the filled qty {order.cum_exec_qty}", inst)
    book_change = new_price != order.price or new_leaves != order.leaves_qty
    tp = order.take_profit if take_profit is None else (take_profit or None)
    sl = order.stop_loss if stop_loss is None else (stop_loss or None)
    if not book_change and tp == order.take_profit and sl == order.stop_loss:
        raise VenueError(RejectCode.NOT_MODIFIED, "the order already has these values", cat)
    candidate = replace(order, qty=new_qty, price=new_price, leaves_qty=new_leaves, take_profit=tp, stop_loss=sl)
    if cat is Category.SPOT:
        target = new_leaves * new_price if order.side is Side.BUY else new_leaves
        delta = target - order.lock_left
        if delta > 0:
            _require(account, inst, order.lock_coin, delta)
        return AmendPlan(replace(candidate, lock_left=target), delta, book_change)
    extra = account.order_margin(candidate) - account.order_margin(order)
    available = account.available(inst.quote)
    if extra > 0 and extra > available:
        raise _reject(
            RejectCode.INSUFFICIENT_BALANCE,
            f"the amend needs {extra} more initial margin, {max(available, ZERO)} {inst.quote} available",
            inst,
        )
    return AmendPlan(candidate, ZERO, book_change)
