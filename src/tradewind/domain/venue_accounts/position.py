"""A one-way linear perpetual position: signed size, cost basis, realised PnL, leverage, TP / SL / trailing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from enum import StrEnum

from tradewind.domain.values import Side
from tradewind.domain.venue_accounts.money import ZERO, exact_context, initial_margin

COST_QUANTUM = Decimal("0.000000000001")  # cost basis carried off a partial close; the last close takes the rest


class StopKind(StrEnum):
    """Which protective order fired (the venue's protocol faces spell it in their own words)."""

    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    PARTIAL_TAKE_PROFIT = "partial_take_profit"  # a sized TP of Partial mode: closes its own size only
    PARTIAL_STOP_LOSS = "partial_stop_loss"

    @property
    def is_partial(self) -> bool:
        return self in (StopKind.PARTIAL_TAKE_PROFIT, StopKind.PARTIAL_STOP_LOSS)


class PositionRuleError(ValueError):
    """A TP / SL / trailing setting that makes no sense for the position; the message says why."""


@dataclass(frozen=True, slots=True)
class FillOutcome:
    """What one fill did to a position: the size it closed and the PnL it realised (before fees)."""

    closed_qty: Decimal
    realised_pnl: Decimal


@dataclass(frozen=True, slots=True)
class Protection:
    """TP / SL prices and a trailing-stop distance; ``None`` means not set."""

    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    trailing_stop: Decimal | None = None
    active_price: Decimal | None = None


class LinearPosition:
    """Size is signed (long > 0). ``entry_value`` is the cost basis of the open size, kept exact on increases."""

    def __init__(self, symbol: str, leverage: Decimal) -> None:
        self.symbol = symbol
        self.leverage = leverage
        self.size = ZERO
        self.entry_value = ZERO
        self.cum_realised_pnl = ZERO
        self.cur_realised_pnl = ZERO  # since the position was last opened from flat
        self.protection = Protection()
        self._trail_extreme: Decimal | None = None  # best price seen since the trailing stop became active

    @property
    def side(self) -> Side | None:
        if self.size > 0:
            return Side.BUY
        if self.size < 0:
            return Side.SELL
        return None

    @property
    def avg_price(self) -> Decimal:
        """Average entry price, for display (the exact figure is ``entry_value / |size|``)."""
        if self.size == 0:
            return ZERO
        return (self.entry_value / abs(self.size)).quantize(COST_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()

    def initial_margin(self) -> Decimal:
        return initial_margin(self.entry_value, self.leverage)

    def unrealised_pnl(self, mark: Decimal) -> Decimal:
        with localcontext(exact_context()):
            return self.size * mark - (self.entry_value if self.size > 0 else -self.entry_value)

    def closable(self, side: Side) -> Decimal:
        """How much an order on ``side`` can reduce this position."""
        if self.side is None or side is self.side:
            return ZERO
        return abs(self.size)

    def apply_fill(self, side: Side, qty: Decimal, price: Decimal) -> FillOutcome:
        """Move the position by one fill; a fill larger than the position closes it and opens the other way."""
        if qty <= 0 or price <= 0:
            raise ValueError(f"{self.symbol}: a fill needs a positive qty and price, got {qty} @ {price}")
        with localcontext(exact_context()):
            closed = min(qty, self.closable(side))
            pnl = ZERO
            if closed > 0:
                open_size = abs(self.size)
                if closed == open_size:
                    cost = self.entry_value
                else:
                    # A partial close carries off a rounded share of the cost; the final close takes the
                    # exact remainder, so a round trip's realised PnL always equals proceeds minus cost.
                    with localcontext(Context(prec=60)):
                        cost = (self.entry_value * closed / open_size).quantize(COST_QUANTUM, ROUND_HALF_EVEN)
                direction = 1 if self.size > 0 else -1
                pnl = direction * (closed * price - cost)
                self.entry_value -= cost
                self.size -= direction * closed
                self.cum_realised_pnl += pnl
                self.cur_realised_pnl += pnl
            opened = qty - closed
            if opened > 0:
                if self.size == 0:
                    self.cur_realised_pnl = ZERO
                self.entry_value += opened * price
                self.size += side.sign * opened
            if self.size == 0:
                self.entry_value = ZERO
                self.clear_protection()
            elif closed > 0 and opened > 0:
                self.clear_protection()  # flipped: the old side's TP / SL no longer apply
        return FillOutcome(closed, pnl)

    def charge_fee(self, fee: Decimal) -> None:
        """Fees count against realised PnL, as Bybit's ``cumRealisedPnl`` shows them."""
        with localcontext(exact_context()):
            self.cum_realised_pnl -= fee
            self.cur_realised_pnl -= fee

    def clear_protection(self) -> None:
        self.protection = Protection()
        self._trail_extreme = None

    def set_protection(self, protection: Protection, last_price: Decimal | None) -> None:
        """Validate TP / SL against the side and the last price, as Bybit does, then store them."""
        self.check_levels(protection.take_profit, protection.stop_loss, last_price)
        trail = protection.trailing_stop
        if trail is not None and trail <= 0:
            raise PositionRuleError(f"{self.symbol}: trailingStop must be positive, got {trail}")
        if trail != self.protection.trailing_stop or protection.active_price != self.protection.active_price:
            self._trail_extreme = None
        self.protection = protection

    def check_levels(self, tp: Decimal | None, sl: Decimal | None, last_price: Decimal | None) -> None:
        """PositionRuleError unless the position is open and TP / SL lie on the right side of the last price."""
        side = self.side
        if side is None:
            raise PositionRuleError(f"{self.symbol}: can not set tp/sl/ts for zero position")
        long = side is Side.BUY
        ref = last_price if last_price is not None else self.avg_price
        if tp is not None and (tp <= ref if long else tp >= ref):
            word = "higher" if long else "lower"
            raise PositionRuleError(
                f"{self.symbol}: TakeProfit {tp} for a {side.value} position must be {word} than {ref}"
            )
        if sl is not None and (sl >= ref if long else sl <= ref):
            word = "lower" if long else "higher"
            raise PositionRuleError(
                f"{self.symbol}: StopLoss {sl} for a {side.value} position must be {word} than {ref}"
            )

    def trigger(self, price: Decimal) -> StopKind | None:
        """Feed one trade price; return the protective order that fires at it, if any (the stop loss wins ties)."""
        side = self.side
        p = self.protection
        if side is None:
            return None
        long = side is Side.BUY
        if p.stop_loss is not None and (price <= p.stop_loss if long else price >= p.stop_loss):
            return StopKind.STOP_LOSS
        if p.take_profit is not None and (price >= p.take_profit if long else price <= p.take_profit):
            return StopKind.TAKE_PROFIT
        if p.trailing_stop is not None:
            return self._trail(price, long, p.trailing_stop, p.active_price)
        return None

    def _trail(self, price: Decimal, long: bool, distance: Decimal, active: Decimal | None) -> StopKind | None:
        if self._trail_extreme is None:
            if active is not None and (price < active if long else price > active):
                return None
            self._trail_extreme = price
        self._trail_extreme = max(self._trail_extreme, price) if long else min(self._trail_extreme, price)
        stop = self._trail_extreme - distance if long else self._trail_extreme + distance
        if price <= stop if long else price >= stop:
            return StopKind.TRAILING_STOP
        return None

    def trailing_trigger_price(self) -> Decimal | None:
        """The price at which the trailing stop would fire now, once it is active."""
        d = self.protection.trailing_stop
        if d is None or self._trail_extreme is None:
            return None
        return self._trail_extreme - d if self.size > 0 else self._trail_extreme + d


def partial_crossed(kind: StopKind, long: bool, trigger: Decimal, price: Decimal) -> bool:
    """Whether a trade at ``price`` fires a partial TP / SL at ``trigger`` of a long (or short) position."""
    take_profit = kind is StopKind.PARTIAL_TAKE_PROFIT
    if take_profit == long:
        return price >= trigger
    return price <= trigger


def capped_sizes(sizes: list[Decimal], cap: Decimal) -> list[Decimal]:
    """Partial TP (or SL) sizes, oldest first, cut so they sum to at most ``cap`` (the position's size): the oldest
    are reduced first, as Bybit does when a position shrinks under its partial orders; a zero is an order gone."""
    excess = sum(sizes, ZERO) - cap
    out = list(sizes)
    for i, size in enumerate(out):
        if excess <= 0:
            break
        cut = min(size, excess)
        out[i] = size - cut
        excess -= cut
    return out
