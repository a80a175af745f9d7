"""Deals of the position manager: one row per order it sent (a BUY opening a position, a SELL closing one).

A BUY deal is the position: it carries its protection levels, how it is protected, and once closed why (take-profit
hit, stop-loss hit, or closed manually by a SELL signal) at what price and fee. Client order ids are derived from the
signal id, so a redelivered signal can never place a second order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.candles import Candle
from tradewind.domain.instruments import Instrument
from tradewind.domain.orders import ExecutionFill, ProtectionOrders
from tradewind.domain.signals.signal import Action
from tradewind.domain.values import Category, Side
from tradewind.domain.venue_accounts.money import fmt

_HUNDRED = Decimal(100)
ZERO = Decimal(0)


class DealStatus(StrEnum):
    """``pending``: the order is being placed (the row holds the position's place); ``open`` / ``closing`` /
    ``closed`` for a BUY; a SELL ends ``filled``."""

    PENDING = "pending"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    FILLED = "filled"


# The BUY statuses that hold the one open position of a symbol and source (the partial unique index's condition).
HOLDING = (DealStatus.PENDING, DealStatus.OPEN, DealStatus.CLOSING)


class Protection(StrEnum):
    """Who guards the position's stop-loss and take-profit."""

    EXCHANGE = "exchange"  # set on the exchange's position: holds while Tradewind is down
    WATCHED = "watched"  # the trader watches the price itself (spot, or the exchange refused)
    NONE = "none"  # not protected (a SELL deal)


class CloseReason(StrEnum):
    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    MANUAL = "manual"
    TRAILING_STOP = "trailing_stop"  # the trader's own trailing stop (``trader.trailing_stop_pct``)


def deal_client_order_id(signal_id: str, role: str) -> str:
    """The client order id of the order a signal causes: ``role`` (``b`` buy, ``s`` sell, ``x`` protection close)
    and 32 hex digits of the signal id's hash, so the same signal always gives the same id (36 characters at most)."""
    if role not in ("b", "s", "x"):
        raise ValueError(f"role must be b, s or x, got {role!r}")
    return f"sg{role}{hashlib.sha256(signal_id.encode()).hexdigest()[:32]}"


def protection_levels(
    entry: Decimal, take_profit_pct: Decimal, stop_loss_pct: Decimal, instrument: Instrument
) -> tuple[Decimal, Decimal]:
    """Take-profit and stop-loss prices of a long entered at ``entry``, on the instrument's tick grid."""
    if not 0 < stop_loss_pct < _HUNDRED or take_profit_pct <= 0:
        raise ValueError(
            f"take-profit must be positive and stop-loss in (0, 100), got {take_profit_pct}, {stop_loss_pct}"
        )
    take_profit = level_away(entry, take_profit_pct, Side.BUY, against=False, instrument=instrument)
    stop_loss = level_away(entry, stop_loss_pct, Side.BUY, against=True, instrument=instrument)
    return take_profit, stop_loss


def level_away(base: Decimal, pct: Decimal, side: Side, *, against: bool, instrument: Instrument) -> Decimal:
    """``base`` moved by ``pct`` against a position of ``side`` (a stop) or with it (a target), on the tick grid."""
    down = (side is Side.BUY) == against
    factor = 1 - pct / _HUNDRED if down else 1 + pct / _HUNDRED
    return instrument.round_price(base * factor)


@dataclass(frozen=True, slots=True)
class StopReached:
    """A one-minute candle proving a long's stop was reached while the trader was down: the price it printed at or
    below ``level`` (its low, or the newest close, the last price) and the start of its minute."""

    price: Decimal
    level: Decimal
    minute_ms: int

    def note(self, reason: CloseReason) -> str:
        """The deal's note of a late close: what the candles proved, and when."""
        minute = datetime.fromtimestamp(self.minute_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        return (
            f"late close ({reason.value}): the exchange's 1-minute candle of {minute} UTC printed "
            f"{fmt(self.price)}, at or below the level {fmt(self.level)}, while the trader was down"
        )


@dataclass(frozen=True, slots=True)
class TrailCatchUp:
    """What the candles printed while the trader was down did to a long's trailing stop."""

    best: Decimal  # the best price after them: never below the one before
    best_ms: int | None  # the start of the candle whose high raised it (its time within unknown); None if none did
    reached: StopReached | None  # the first proof the price reached the stop's level after its best; None if none

    @property
    def fired(self) -> bool:
        return self.reached is not None


def _since_entry(candles: Sequence[Candle], entry_ms: int) -> list[Candle]:
    """``candles`` oldest first, without those begun before the entry (they hold prices from before the position)."""
    return sorted((c for c in candles if c.start_ms >= entry_ms), key=lambda c: c.start_ms)


def _last_price(candles: Sequence[Candle], level: Decimal) -> StopReached | None:
    """The newest close (the last price) as proof, where it is at or below ``level``; ``candles`` oldest first."""
    if candles and candles[-1].close <= level:
        return StopReached(candles[-1].close, level, candles[-1].start_ms)
    return None


def trail_through(
    candles: Sequence[Candle], best: Decimal, *, entry_ms: int, since_ms: int, pct: Decimal, instrument: Instrument
) -> TrailCatchUp:
    """A long's trailing stop of ``pct`` from ``best`` (seen at ``since_ms``) walked through ``candles``.

    Only what candles prove counts: a candle begun before the entry is skipped (it holds older prices); one begun at
    or before ``since_ms`` may raise the best but its low is not tested (it may come before the best); any other
    candle's low is tested against the level of the best from the candles before it (its own high may come after its
    low), and the newest close, the last price, against the final best's level.
    """
    raised_ms: int | None = None
    reached: StopReached | None = None
    walked = _since_entry(candles, entry_ms)
    for candle in walked:
        if reached is None and candle.start_ms > since_ms:
            level = trailing_level(best, pct, instrument)
            if candle.low <= level:
                reached = StopReached(candle.low, level, candle.start_ms)
        if candle.high > best:
            best, raised_ms = candle.high, candle.start_ms
    return TrailCatchUp(best, raised_ms, reached or _last_price(walked, trailing_level(best, pct, instrument)))


def stop_through(candles: Sequence[Candle], stop_loss: Decimal, *, entry_ms: int, since_ms: int) -> StopReached | None:
    """The first proof in ``candles`` that a long's fixed stop-loss was reached after ``since_ms`` (the trader last
    saw the deal's market then), by the rules of ``trail_through``: the low of a candle begun after ``since_ms`` (and
    not before the entry), else the newest close."""
    walked = _since_entry(candles, entry_ms)
    proof = next((c for c in walked if c.start_ms > since_ms and c.low <= stop_loss), None)
    if proof is not None:
        return StopReached(proof.low, stop_loss, proof.start_ms)
    return _last_price(walked, stop_loss)


def first_stop(stop_loss: StopReached | None, trailing: StopReached | None) -> tuple[CloseReason, StopReached] | None:
    """Which of a long's stops the candles prove reached first; within one minute the stop-loss (their order inside
    it is unknown, and a live trade is tested against the stop-loss first)."""
    if stop_loss is not None and (trailing is None or stop_loss.minute_ms <= trailing.minute_ms):
        return CloseReason.STOP_LOSS, stop_loss
    if trailing is not None:
        return CloseReason.TRAILING_STOP, trailing
    return None


def trailing_level(best: Decimal, pct: Decimal, instrument: Instrument) -> Decimal:
    """Where a long's trailing stop of ``pct`` closes it, ``best`` its best price."""
    return level_away(best, pct, Side.BUY, against=True, instrument=instrument)  # the trader's deals are longs


def fee_in_quote(fee: Decimal, fee_currency: str, price: Decimal, instrument: Instrument) -> Decimal:
    """A fee as quote currency: a base-coin fee (spot buys) is valued at the fill price."""
    if fee_currency == instrument.base:
        return fee * price
    return fee


@dataclass(frozen=True, slots=True)
class ClosingFills:
    """What the fills of an exchange's close came to: quantity, volume-weighted price, fees in quote, last fill time."""

    qty: Decimal
    price: Decimal
    fee: Decimal
    ts_ns: int


def closing_fills(fills: Sequence[ExecutionFill], instrument: Instrument) -> ClosingFills:
    """The sum of ``fills`` (at least one): a stop's close may fill in several pieces."""
    if not fills:
        raise ValueError("closing_fills needs at least one fill")
    qty = sum((f.qty for f in fills), ZERO)
    price = sum((f.price * f.qty for f in fills), ZERO) / qty if qty else fills[-1].price
    fee = sum((fee_in_quote(f.fee, f.fee_currency, f.price, instrument) for f in fills), ZERO)
    return ClosingFills(qty, price, fee, max(f.ts_ns for f in fills))


@dataclass(frozen=True, slots=True)
class Deal:
    """One order of the position manager and what became of it (see the module docstring)."""

    id: int | None
    created_ns: int
    exchange: str
    category: Category
    symbol: str
    source: str
    signal_id: str
    action: Action
    client_order_id: str
    status: DealStatus
    amount_quote: Decimal
    exchange_order_id: str = ""
    qty: Decimal = ZERO  # filled, base currency (what the position holds for a BUY)
    price: Decimal | None = None  # average fill price
    fee: Decimal = ZERO  # in quote currency
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit_hit: bool = False
    stop_loss_hit: bool = False
    manually_closed: bool = False
    protection: Protection = Protection.NONE
    closed_ns: int | None = None
    close_price: Decimal | None = None
    close_fee: Decimal = ZERO  # in quote currency
    note: str = ""
    # The exchange's conditional orders of this deal's own partial TP / SL (Bybit Partial mode): a fill of one of
    # them is this deal's close by the exchange, whoever else holds the symbol; "" where there are none.
    tp_order_id: str = ""
    sl_order_id: str = ""
    # The highest price since entry the trader's trailing stop has seen (None: the entry price); only ever raised.
    best_price: Decimal | None = None
    trailing_stop_hit: bool = False
    # When the trader saw ``best_price`` (None: not since entry); a restart reads the market's candles from there.
    best_ns: int | None = None

    @property
    def protection_orders(self) -> ProtectionOrders:
        return ProtectionOrders(self.tp_order_id, self.sl_order_id)

    @property
    def is_open(self) -> bool:
        return self.action is Action.BUY and self.status in HOLDING

    def opened(
        self, exchange_order_id: str, qty: Decimal, price: Decimal, fee: Decimal, levels: tuple[Decimal, Decimal]
    ) -> Deal:
        return replace(
            self, status=DealStatus.OPEN, exchange_order_id=exchange_order_id, qty=qty, price=price, fee=fee,
            take_profit=levels[0], stop_loss=levels[1],
        )  # fmt: skip

    def closed(self, reason: CloseReason, price: Decimal, fee: Decimal, at_ns: int, note: str = "") -> Deal:
        return replace(
            self, status=DealStatus.CLOSED, closed_ns=at_ns, close_price=price, close_fee=fee,
            take_profit_hit=reason is CloseReason.TAKE_PROFIT, stop_loss_hit=reason is CloseReason.STOP_LOSS,
            manually_closed=reason is CloseReason.MANUAL, trailing_stop_hit=reason is CloseReason.TRAILING_STOP,
            note=_joined(self.note, note),
        )  # fmt: skip

    def realised_pnl(self) -> Decimal:
        """A closed BUY's result in quote currency, both fees included; zero while it is open."""
        if self.status is not DealStatus.CLOSED or self.price is None or self.close_price is None:
            return ZERO
        return (self.close_price - self.price) * self.qty - self.fee - self.close_fee

    def unrealised_pnl(self, mark: Decimal | None) -> Decimal:
        """An open BUY's result at ``mark`` in quote currency, the entry fee included."""
        if not self.is_open or self.price is None or mark is None:
            return ZERO
        return (mark - self.price) * self.qty - self.fee

    def exit_reason(self, exit_price: Decimal) -> CloseReason:
        """Which of the levels a close by the exchange's own protection hit, told by the exit price."""
        if self.take_profit is None or self.stop_loss is None:
            return (
                CloseReason.STOP_LOSS if self.price is not None and exit_price < self.price else CloseReason.TAKE_PROFIT
            )
        middle = (self.take_profit + self.stop_loss) / 2
        return CloseReason.TAKE_PROFIT if exit_price >= middle else CloseReason.STOP_LOSS


def _joined(first: str, second: str) -> str:
    return "; ".join(part for part in (first, second) if part)
