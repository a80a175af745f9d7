"""How a slice is priced: the price-limit check and the order each style sends."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tradewind.domain.instruments import Instrument
from tradewind.domain.twap.spec import OrderStyle
from tradewind.domain.values import OrderType, Side, TimeInForce

_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class SliceOrder:
    """The order type, price (None for market) and time in force a slice sends."""

    order_type: OrderType
    price: Decimal | None
    time_in_force: TimeInForce


def execution_price(side: Side, bid: Decimal, ask: Decimal) -> Decimal:
    """The touch a slice would trade at: the ask for a buy, the bid for a sell."""
    return ask if side is Side.BUY else bid


def breaches_limit(side: Side, price: Decimal, limit: Decimal | None) -> bool:
    """True when a buy would pay above ``limit`` or a sell would sell below it."""
    if limit is None:
        return False
    return price > limit if side is Side.BUY else price < limit


def _floor_tick(price: Decimal, instrument: Instrument) -> Decimal:
    return (price / instrument.tick_size).to_integral_value(rounding=ROUND_FLOOR) * instrument.tick_size


def _ceil_tick(price: Decimal, instrument: Instrument) -> Decimal:
    return (price / instrument.tick_size).to_integral_value(rounding=ROUND_CEILING) * instrument.tick_size


def slice_order(
    style: OrderStyle,
    side: Side,
    bid: Decimal,
    ask: Decimal,
    instrument: Instrument,
    *,
    limit: Decimal | None = None,
    max_slippage_bps: Decimal = Decimal(50),
    last_slice: bool = False,
) -> SliceOrder:
    """The order for one slice; with a price limit every style is capped at it, so no fill can cross it.

    The last slice of a passive job crosses the spread (marketable) to finish the job.
    """
    if style is OrderStyle.PASSIVE_LIMIT and not last_slice:
        price = bid if side is Side.BUY else ask
        return SliceOrder(OrderType.LIMIT, _cap(side, price, limit), TimeInForce.POST_ONLY)
    if style is OrderStyle.MARKET and limit is None:
        return SliceOrder(OrderType.MARKET, None, TimeInForce.IOC)
    slip = max_slippage_bps / _BPS
    buy = side is Side.BUY
    price = _floor_tick(ask * (1 + slip), instrument) if buy else _ceil_tick(bid * (1 - slip), instrument)
    if style is OrderStyle.MARKET:
        assert limit is not None
        price = limit  # a market order under a limit: IOC at the limit, never beyond it
    return SliceOrder(OrderType.LIMIT, _cap(side, price, limit), TimeInForce.IOC)


def _cap(side: Side, price: Decimal, limit: Decimal | None) -> Decimal:
    if limit is None:
        return price
    return min(price, limit) if side is Side.BUY else max(price, limit)
