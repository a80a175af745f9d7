"""Trade objects: a position opened by a ``buy``/``sell`` command that follows its market's price and closes itself.

A trade remembers the best price since entry (the highest for a long, the lowest for a short), which its trailing stop
follows, and once closed why and at what price. Its client order ids are derived from its key (the command's
idempotency key), so a redelivered command or a restart finds its order instead of sending another.
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

    @property
    def entry_order_id(self) -> str:
        return trade_client_order_id(self.key, "e")

    @property
    def exit_order_id(self) -> str:
        return trade_client_order_id(self.key, "x")

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

    def closed(self, reason: str, price: Decimal, fee: Decimal, at_ns: int, *, by_exchange: bool = False) -> Trade:
        return replace(
            self, status=TradeStatus.CLOSED, close_reason=reason, close_price=price, close_fee=fee, closed_ns=at_ns,
            closed_by_exchange=by_exchange,
        )  # fmt: skip

    def pnl(self, mark: Decimal | None = None) -> Decimal:
        """Realised (closed) or unrealised at ``mark`` result in quote currency, fees included."""
        exit_price = self.close_price if self.status is TradeStatus.CLOSED else mark
        if self.entry_price is None or exit_price is None:
            return ZERO
        move = exit_price - self.entry_price if self.side is Side.BUY else self.entry_price - exit_price
        return move * self.qty - self.fee - self.close_fee
