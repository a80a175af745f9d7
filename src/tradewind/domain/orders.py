"""Orders as every workflow sees them: an intent going out, a typed result and fills coming back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.ids import client_order_id
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, OrderType, Side, TimeInForce


class OrderState(StrEnum):
    """Lifecycle of an order on the exchange; NEW means accepted and resting (or not yet matched)."""

    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset({OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED})


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order about to be sent: ``qty`` is in base currency, ``price`` is None for a market order."""

    client_order_id: str
    exchange: str
    category: Category
    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False

    def __post_init__(self) -> None:
        client_order_id(self.client_order_id)
        if not isinstance(self.qty, Decimal) or not self.qty.is_finite():
            raise ValueError(f"qty must be a finite Decimal, got {self.qty!r}")
        if self.order_type is OrderType.LIMIT and self.price is None:
            raise ValueError("a limit order needs a price")
        if self.price is not None and (not isinstance(self.price, Decimal) or not self.price.is_finite()):
            raise ValueError(f"price must be a finite Decimal or None, got {self.price!r}")

    def rounded(self, instrument: Instrument) -> OrderIntent:
        """This intent with qty floored to the lot grid and price rounded to the tick grid, then checked.

        Raises FilterError naming the broken rule (min_qty, min_notional, ...).
        """
        qty = instrument.floor_qty(self.qty)
        price = None if self.price is None else instrument.round_price(self.price)
        instrument.check_order(qty, price)
        if qty == self.qty and price == self.price:
            return self
        return OrderIntent(
            self.client_order_id, self.exchange, self.category, self.symbol, self.side,
            self.order_type, qty, price, self.tif, self.reduce_only,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What the exchange says about an order, mapped to a typed state."""

    client_order_id: str
    exchange_order_id: str
    state: OrderState
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    fee: Decimal = Decimal(0)
    fee_currency: str = ""
    reject_reason: str | None = None
    symbol: str = ""
    side: Side | None = None
    qty: Decimal | None = None
    price: Decimal | None = None

    @property
    def is_final(self) -> bool:
        return self.state.is_final


@dataclass(frozen=True, slots=True)
class ExecutionFill:
    """One execution of one of our orders."""

    trade_id: str
    client_order_id: str
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_currency: str
    is_maker: bool
    ts_ns: int
    symbol: str = ""
    side: Side | None = None
    order_id: str = ""  # the exchange's id: what a conditional order (a partial TP / SL) is told by


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    ts_ns: int

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Balance:
    coin: str
    total: Decimal
    free: Decimal
    locked: Decimal


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """A derivatives position; ``size`` is signed (positive long, negative short)."""

    symbol: str
    category: Category
    size: Decimal
    avg_price: Decimal | None
    unrealised_pnl: Decimal = Decimal(0)
    mark_price: Decimal | None = None


def net_size(positions: Iterable[PositionSnapshot], symbol: str) -> Decimal:
    """The signed size ``positions`` hold of ``symbol`` (positive long, negative short; 0 when flat)."""
    return sum((p.size for p in positions if p.symbol == symbol), Decimal(0))


def held_on(positions: Iterable[PositionSnapshot], symbol: str, side: Side) -> Decimal:
    """What ``positions`` hold of ``symbol`` on ``side`` (BUY: the long side, SELL: the short side), never below 0."""
    net = net_size(positions, symbol)
    return max(Decimal(0), net if side is Side.BUY else -net)


@dataclass(frozen=True, slots=True)
class PositionProtection:
    """Stop-loss, take-profit and trailing stop of a derivatives position, set on the exchange (None: unchanged).

    ``trailing_stop`` is a price distance; the exchange closes the position at market when a level is crossed.
    ``size`` None protects the whole position (Bybit's Full mode: one set per symbol); a size adds a TP / SL pair of
    its own closing only that much (Partial mode), so several owners of one position each keep their own.
    """

    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    trailing_stop: Decimal | None = None
    size: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("take_profit", "stop_loss", "trailing_stop", "size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value < 0):
                raise ValueError(f"{name} must be a non-negative finite Decimal or None, got {value!r}")
        if self.size is not None:
            if self.size <= 0:
                raise ValueError(f"size must be positive (None protects the whole position), got {self.size}")
            if self.trailing_stop is not None:
                raise ValueError("a trailing stop protects the whole position: it takes no size")
            if not self.take_profit and not self.stop_loss:
                raise ValueError("a sized protection needs a take-profit or a stop-loss")


@dataclass(frozen=True, slots=True)
class ProtectionOrders:
    """The exchange's conditional orders keeping one sized protection (their exchange order ids; "" for none).

    Whole-position protection (Full mode) has none: the levels live on the position itself.
    """

    take_profit_id: str = ""
    stop_loss_id: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i for i in (self.take_profit_id, self.stop_loss_id) if i)
