"""A spread's state machine and its PnL: entries and exits of both legs, fees, and funding when reported."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.spread.groups import Pair
from tradewind.domain.values import Category


class SpreadState(StrEnum):
    OPENING = "opening"  # first clip sent, not yet acknowledged
    OPEN = "open"
    CLOSING = "closing"  # a close sent, not yet acknowledged
    CLOSED = "closed"


_ALLOWED = {
    SpreadState.OPENING: {SpreadState.OPEN, SpreadState.CLOSED},  # CLOSED: the opening was refused
    SpreadState.OPEN: {SpreadState.OPEN, SpreadState.CLOSING, SpreadState.CLOSED},
    SpreadState.CLOSING: {SpreadState.OPEN, SpreadState.CLOSED},
    SpreadState.CLOSED: set(),
}


class SpreadTransitionError(ValueError):
    """A change a spread in its state cannot make (closing a closed spread, say)."""


def check_transition(current: SpreadState, to: SpreadState) -> None:
    if to not in _ALLOWED[current]:
        raise SpreadTransitionError(f"a spread cannot go from {current.value} to {to.value}")


@dataclass(frozen=True, slots=True)
class Spread:
    """One pair's position: ``qty`` of the long leg held and of the short leg owed, at their average entries."""

    spread_id: str
    pair: Pair
    state: SpreadState
    opened_ns: int
    qty: Decimal = Decimal(0)
    long_cost: Decimal = Decimal(0)  # quote paid for the open long quantity
    short_proceeds: Decimal = Decimal(0)  # quote received for the open short quantity
    realised: Decimal = Decimal(0)  # gross, before fees and funding
    fees: Decimal = Decimal(0)
    funding: Decimal = Decimal(0)  # received (positive) or paid (negative) on the legs while open
    traded_qty: Decimal = Decimal(0)  # opened in total
    updated_ns: int = 0
    closed_ns: int | None = None

    @property
    def long_entry(self) -> Decimal:
        return self.long_cost / self.qty if self.qty else Decimal(0)

    @property
    def short_entry(self) -> Decimal:
        return self.short_proceeds / self.qty if self.qty else Decimal(0)

    @property
    def net_realised(self) -> Decimal:
        """Realised PnL net of fees, funding included."""
        return self.realised - self.fees + self.funding

    def unrealised(self, long_bid: Decimal, short_ask: Decimal) -> Decimal:
        """What closing the rest at these prices would add, before its fees."""
        return self.qty * (long_bid - self.long_entry) + self.qty * (self.short_entry - short_ask)


def opening(spread_id: str, pair: Pair, now_ns: int) -> Spread:
    return Spread(spread_id, pair, SpreadState.OPENING, now_ns, updated_ns=now_ns)


def add_entry(
    s: Spread, qty: Decimal, long_price: Decimal, short_price: Decimal, *, fee: Decimal, now_ns: int
) -> Spread:
    """An acknowledged opening clip (the first or a scale-in)."""
    if qty <= 0:
        raise ValueError(f"an entry needs a positive quantity, got {qty}")
    check_transition(s.state, SpreadState.OPEN)
    return replace(
        s,
        state=SpreadState.OPEN,
        qty=s.qty + qty,
        long_cost=s.long_cost + qty * long_price,
        short_proceeds=s.short_proceeds + qty * short_price,
        fees=s.fees + fee,
        traded_qty=s.traded_qty + qty,
        updated_ns=now_ns,
    )


def add_exit(
    s: Spread, qty: Decimal, long_price: Decimal, short_price: Decimal, *, fee: Decimal, now_ns: int
) -> Spread:
    """An acknowledged closing clip: realises its share of the entry at the average prices."""
    if not 0 < qty <= s.qty:
        raise ValueError(f"an exit needs a quantity in (0, {s.qty}], got {qty}")
    left = s.qty - qty
    state = SpreadState.OPEN if left else SpreadState.CLOSED
    check_transition(s.state, state)
    long_share = s.long_cost * qty / s.qty
    short_share = s.short_proceeds * qty / s.qty
    gained = (qty * long_price - long_share) + (short_share - qty * short_price)
    return replace(
        s,
        state=state,
        qty=left,
        long_cost=s.long_cost - long_share,
        short_proceeds=s.short_proceeds - short_share,
        realised=s.realised + gained,
        fees=s.fees + fee,
        updated_ns=now_ns,
        closed_ns=None if left else now_ns,
    )


def with_state(s: Spread, state: SpreadState, now_ns: int) -> Spread:
    check_transition(s.state, state)
    return replace(s, state=state, updated_ns=now_ns, closed_ns=now_ns if state is SpreadState.CLOSED else None)


def add_funding(s: Spread, amount: Decimal, now_ns: int) -> Spread:
    """A funding payment on one of the legs, signed as received (negative: paid)."""
    return replace(s, funding=s.funding + amount, updated_ns=now_ns)


def held(s: Spread, exchange: str, category: Category, symbol: str, qty: Decimal | None = None) -> Decimal:
    """The spread's signed position in one instrument: its quantity (``qty`` if given, say at a past settlement) on
    the long leg, minus it on the short leg."""
    size = s.qty if qty is None else qty
    out = Decimal(0)
    for ref, sign in ((s.pair.long, 1), (s.pair.short, -1)):
        if (ref.exchange, ref.category, ref.symbol) == (exchange, category, symbol):
            out += sign * size
    return out


def qty_at(history: Sequence[tuple[int, Decimal]], ts_ns: int) -> Decimal:
    """The quantity a spread held at ``ts_ns`` from its history of (time, quantity after the trade), oldest first:
    after the last trade at or before that time, 0 before the first."""
    index = bisect_right(history, ts_ns, key=lambda change: change[0])
    return history[index - 1][1] if index else Decimal(0)


def shares(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split in proportion to ``weights`` (positive), summing to ``amount`` exactly: the last share takes
    what the rounding of the others left."""
    total = sum(weights, Decimal(0))
    if not weights or total <= 0:
        raise ValueError(f"shares need positive weights, got {weights}")
    out = [amount * w / total for w in weights[:-1]]
    return [*out, amount - sum(out, Decimal(0))]
