"""Trade objects: a position opened by a ``buy``/``sell`` command that follows its market's price and closes itself.

A trade remembers the best price since entry (the highest for a long, the lowest for a short), which its trailing stop
follows, and once closed why and at what price. It may close in parts (its own TP / SL pair on the exchange may fill
less than its quantity): each part adds the fills' quantity, value and fees, so its PnL counts exactly what closed; a
part that neither its fills closed nor the exchange still holds is ``missing_qty``, with no PnL made up for it. Its
client order ids are derived from its key (the command's idempotency key), so a redelivered command or a restart finds
its order instead of sending another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.orders import ProtectionOrders
from tradewind.domain.values import Category, Side

ZERO = Decimal(0)


class TradeStatus(StrEnum):
    """``pending``: the entry order is being placed; ``open``; ``closing``: the exit was sent; ``closed``."""

    PENDING = "pending"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


LIVE = (TradeStatus.PENDING, TradeStatus.OPEN, TradeStatus.CLOSING)
CLOSED_BY_EXCHANGE = "closed_by_exchange"  # the close reason of a position the exchange's own protection closed


def trade_client_order_id(key: str, role: str) -> str:
    """``tr`` + ``e`` (entry) or ``x`` (exit) + 32 hex digits of the trade key's hash: the same trade, the same id."""
    if role not in ("e", "x"):
        raise ValueError(f"role must be e or x, got {role!r}")
    return f"tr{role}{hashlib.sha256(key.encode()).hexdigest()[:32]}"


@dataclass(frozen=True, slots=True)
class Trade:
    """One trade; ``risk`` maps a risk strategy's name to its parameter (a percentage for the built-ins)."""

    id: int | None
    key: str
    created_ns: int
    exchange: str
    category: Category
    symbol: str
    side: Side
    qty: Decimal  # base currency, on the lot grid
    status: TradeStatus
    risk: dict[str, Decimal] = field(default_factory=dict)
    entry_price: Decimal | None = None
    best_price: Decimal | None = None  # the most favourable price since entry
    fee: Decimal = ZERO  # entry fee, quote currency
    protected_on_exchange: bool = False
    closed_ns: int | None = None
    close_price: Decimal | None = None
    close_fee: Decimal = ZERO
    close_reason: str = ""
    note: str = ""
    # The exchange's conditional orders of this trade's own partial TP / SL (Bybit Partial mode): a fill of one of
    # them is this trade's close by the exchange, whoever else holds the symbol; "" where there are none.
    tp_order_id: str = ""
    sl_order_id: str = ""
    closed_by_exchange: bool = False  # closed by the fills of its own TP / SL pair, not by an order of the desk
    # Closed so far by fills of its own orders (its pair, the desk's exit): the quantity and its exact value (the sum
    # of price x qty of those fills, quote currency); ``close_price`` is their volume-weighted price, for display.
    closed_qty: Decimal = ZERO
    close_value: Decimal = ZERO
    missing_qty: Decimal = ZERO  # gone from the exchange's position without a fill of this trade's: no PnL for it

    @property
    def entry_order_id(self) -> str:
        return trade_client_order_id(self.key, "e")

    @property
    def exit_order_id(self) -> str:
        """The desk's exit of what is open now: after a part closed, another id, so an exit that filled short is never
        read again as the exit of the rest (the part is stored before that exit is sent)."""
        if not self.closed_qty:
            return trade_client_order_id(self.key, "x")
        return trade_client_order_id(f"{self.key}#{self.closed_qty.normalize():f}", "x")

    @property
    def protection_orders(self) -> ProtectionOrders:
        return ProtectionOrders(self.tp_order_id, self.sl_order_id)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def exit_side(self) -> Side:
        return Side.SELL if self.side is Side.BUY else Side.BUY

    def better(self, price: Decimal, than: Decimal) -> bool:
        """Whether ``price`` is more favourable to this trade than ``than``."""
        return price > than if self.side is Side.BUY else price < than

    def followed(self, price: Decimal) -> Trade:
        """The trade with its best price moved to ``price`` if that is better; never moved against the trade."""
        if self.best_price is None or self.better(price, self.best_price):
            return replace(self, best_price=price)
        return self

    def opened(self, qty: Decimal, price: Decimal, fee: Decimal) -> Trade:
        return replace(self, status=TradeStatus.OPEN, qty=qty, entry_price=price, best_price=price, fee=fee)

    @property
    def open_qty(self) -> Decimal:
        """What the trade still holds: neither closed by its fills nor missing."""
        return self.qty - self.closed_qty - self.missing_qty

    def realised(self, qty: Decimal, value: Decimal, fee: Decimal, *, missing: Decimal = ZERO) -> Trade:
        """Part of the trade closed by fills of ``qty`` worth ``value`` (sum of price x qty) with ``fee`` (quote), and
        ``missing`` found gone without a fill of its own; ValueError if that is more than it holds."""
        if qty < 0 or missing < 0 or value < 0:
            raise ValueError(f"a close needs qty, value and missing >= 0, got {qty}, {value}, {missing}")
        if qty + missing > self.open_qty:
            raise ValueError(f"trade {self.key!r} holds {self.open_qty}, cannot close {qty} and miss {missing}")
        closed_qty, close_value = self.closed_qty + qty, self.close_value + value
        return replace(
            self, closed_qty=closed_qty, close_value=close_value, close_fee=self.close_fee + fee,
            missing_qty=self.missing_qty + missing,
            close_price=_vwap(close_value, closed_qty) if closed_qty else self.close_price,
        )  # fmt: skip

    def closed(self, reason: str, price: Decimal, fee: Decimal, at_ns: int, *, by_exchange: bool = False) -> Trade:
        """The rest of the trade (its open quantity) closed at ``price`` with ``fee``: the trade closed."""
        rest = self.realised(self.open_qty, price * self.open_qty, fee)
        return rest.ended(reason, at_ns, by_exchange=by_exchange)

    def ended(self, reason: str, at_ns: int, *, by_exchange: bool = False) -> Trade:
        """The trade closed with what its parts realised (nothing of it open any more)."""
        if self.open_qty:
            raise ValueError(f"trade {self.key!r} still holds {self.open_qty}: close it at a price")
        return replace(
            self, status=TradeStatus.CLOSED, close_reason=reason, closed_ns=at_ns, closed_by_exchange=by_exchange
        )

    def pnl(self, mark: Decimal | None = None) -> Decimal:
        """The result in quote currency, fees included: what closed (exactly its fills' value), plus the open rest at
        ``mark`` while open; zero before anything closed with no mark."""
        if self.entry_price is None:
            return ZERO
        sign = 1 if self.side is Side.BUY else -1
        result = sign * (self.close_value - self.entry_price * self.closed_qty)
        if self.status is not TradeStatus.CLOSED and mark is not None:
            result += sign * (mark - self.entry_price) * self.open_qty
        elif not self.closed_qty and self.status is not TradeStatus.CLOSED:
            return ZERO
        return result - self.fee - self.close_fee


_VWAP_PLACES = Decimal("1e-12")


def _vwap(value: Decimal, qty: Decimal) -> Decimal:
    """The volume-weighted close price, for display: exact where it ends within 12 places, else rounded there (the
    PnL is computed from ``close_value``, never from this)."""
    price = value / qty
    exponent = price.as_tuple().exponent
    return price.quantize(_VWAP_PLACES) if isinstance(exponent, int) and exponent < -12 else price
