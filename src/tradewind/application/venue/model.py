"""The venue's records and requests: orders, executions, position and wallet views, and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts import ZERO, StopKind

_AVG_QUANTUM = Decimal("1e-12")


class RejectCode(StrEnum):
    """Why the venue refused a request; each protocol face maps it to its own error code."""

    UNKNOWN_SYMBOL = "unknown_symbol"
    INVALID_PARAM = "invalid_param"
    PRICE_TICK = "price_tick"
    QTY_STEP = "qty_step"
    QTY_TOO_SMALL = "qty_too_small"
    QTY_TOO_LARGE = "qty_too_large"
    AMOUNT_DECIMALS = "amount_decimals"
    NOTIONAL_TOO_SMALL = "notional_too_small"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    DUPLICATE_LINK_ID = "duplicate_link_id"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_FINISHED = "order_finished"
    REDUCE_ONLY_ZERO = "reduce_only_zero"
    NOT_MODIFIED = "not_modified"
    LEVERAGE_NOT_MODIFIED = "leverage_not_modified"
    ZERO_POSITION = "zero_position"
    TPSL_INVALID = "tpsl_invalid"
    TOO_MANY_ORDERS = "too_many_orders"
    MARGIN_MODE_LOCKED = "margin_mode_locked"  # open linear positions or orders pin the account's margin mode


class VenueError(Exception):
    """A request the venue refused; nothing was changed. ``message`` says what was wrong."""

    def __init__(self, code: RejectCode, message: str, category: Category | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.category = category


class MarketUnit(StrEnum):
    """What a spot market order's quantity counts: the base coin or the quote coin."""

    BASE = "base"
    QUOTE = "quote"


class VenueOrderStatus(StrEnum):
    """An order's state at the venue; each protocol face spells it in its own words."""

    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    PARTIALLY_FILLED_CANCELED = "partially_filled_cancelled"  # spot: cancelled after some fills
    REJECTED = "rejected"
    UNTRIGGERED = "untriggered"  # a conditional order (partial TP / SL) waiting for its trigger price
    TRIGGERED = "triggered"  # fired: its market order goes to the book next, under the same id
    DEACTIVATED = "deactivated"  # a conditional order the venue ended (its pair fired, the position closed)

    @property
    def is_open(self) -> bool:
        return self in (
            VenueOrderStatus.NEW, VenueOrderStatus.PARTIALLY_FILLED, VenueOrderStatus.UNTRIGGERED,
            VenueOrderStatus.TRIGGERED,
        )  # fmt: skip

    @property
    def is_conditional(self) -> bool:
        """Not on the book yet: nothing for the matching engine to cancel."""
        return self in (VenueOrderStatus.UNTRIGGERED, VenueOrderStatus.TRIGGERED)


class CancelCause(StrEnum):
    """Who ended an order: its owner (USER), or nobody asked (NONE: still open, filled, or ended by the book)."""

    NONE = "none"
    USER = "user"


class NoFillReason(StrEnum):
    """Why the book left an order (or its rest) unfilled and the venue cancelled it; NONE when it did not."""

    NONE = "none"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    NO_IMMEDIATE_FILL = "no_immediate_fill"  # IOC / market remainder, FOK not fillable, nothing to fill against


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A new order as a client asked for it, already parsed; ``qty`` is in ``market_unit`` for spot markets."""

    category: Category
    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    order_link_id: str = ""
    market_unit: MarketUnit | None = None
    reduce_only: bool = False
    close_on_trigger: bool = False
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    stop_kind: StopKind | None = None  # set by the venue for TP / SL / trailing closes
    tpsl_partial: bool = False  # tpslMode Partial: the TP / SL become a pair of conditional orders of the filled qty


@dataclass(frozen=True, slots=True)
class OrderRef:
    """Which order a request is about: by ``order_id`` (wins) or by ``order_link_id``."""

    category: Category
    symbol: str
    order_id: str = ""
    order_link_id: str = ""


@dataclass(frozen=True, slots=True)
class Order:
    """An order's state at one moment; the venue replaces the record on every change."""

    order_id: str
    order_link_id: str
    account: str
    instrument: Instrument
    side: Side
    order_type: OrderType
    tif: TimeInForce
    qty: Decimal  # as requested (quote amount for a quote-unit spot market order)
    price: Decimal  # 0 for market orders
    market_unit: MarketUnit | None
    status: VenueOrderStatus
    leaves_qty: Decimal  # base qty still resting
    cum_exec_qty: Decimal = ZERO
    cum_exec_value: Decimal = ZERO
    cum_exec_fee: Decimal = ZERO
    fee_coin: str = ""
    reject_reason: NoFillReason = NoFillReason.NONE
    cancel_cause: CancelCause = CancelCause.NONE
    stop_kind: StopKind | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    reduce_only: bool = False
    close_on_trigger: bool = False
    created_ms: int = 0
    updated_ms: int = 0
    trigger_price: Decimal | None = None  # a conditional order's (partial TP / SL)
    linked_id: str = ""  # the other order of a partial TP / SL pair: ended when this one fires
    tpsl_partial: bool = False
    lock_coin: str = ""  # spot: the coin held for this order and how much is still held
    lock_left: Decimal = ZERO

    @property
    def category(self) -> Category:
        return self.instrument.category

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def avg_price(self) -> Decimal:
        if self.cum_exec_qty == 0:
            return ZERO
        return (self.cum_exec_value / self.cum_exec_qty).quantize(_AVG_QUANTUM).normalize()

    @property
    def leaves_value(self) -> Decimal:
        return self.leaves_qty * self.price


class ExecType(StrEnum):
    """Bybit's ``execType``: a trade on the book, or the liquidation engine taking a position over."""

    TRADE = "Trade"
    BUST_TRADE = "BustTrade"


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill seen from one side: what ``execution/list`` and the private ``execution`` topic show."""

    exec_id: str
    account: str
    order_id: str
    order_link_id: str
    category: Category
    symbol: str
    side: Side
    order_type: OrderType
    order_price: Decimal
    order_qty: Decimal
    leaves_qty: Decimal
    stop_kind: StopKind | None
    exec_price: Decimal
    exec_qty: Decimal
    exec_value: Decimal
    exec_time_ms: int
    is_maker: bool
    fee: Decimal
    fee_rate: Decimal
    fee_coin: str
    closed_size: Decimal
    exec_pnl: Decimal
    trade_id: int
    seq: int
    market_unit: MarketUnit | None = None
    exec_type: ExecType = ExecType.TRADE


class TransactionType(StrEnum):
    """Rows of ``/v5/account/transaction-log`` the venue writes: funding settlements and liquidations."""

    SETTLEMENT = "SETTLEMENT"
    LIQUIDATION = "LIQUIDATION"


@dataclass(frozen=True, slots=True)
class Transaction:
    """One row of the account's transaction log; ``change`` moved the ``cash_balance`` shown after it."""

    transaction_id: str
    account: str
    type: TransactionType
    category: Category
    symbol: str
    side: Side | None  # the position's side
    size: Decimal  # the position's size (positive), or the quantity liquidated
    price: Decimal  # mark price (funding) or bankruptcy price (liquidation)
    funding: Decimal  # received positive, paid negative
    fee_rate: Decimal  # the funding rate of a SETTLEMENT row
    cash_flow: Decimal  # realised PnL of a LIQUIDATION row
    change: Decimal
    cash_balance: Decimal
    coin: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class FundingRecord:
    """One settled funding interval of a perpetual, as ``/v5/market/funding/history`` lists it."""

    symbol: str
    rate: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class PositionView:
    """A linear position at one moment, with its mark-to-last-price figures."""

    account: str
    symbol: str
    side: Side | None
    size: Decimal
    avg_price: Decimal
    entry_value: Decimal
    leverage: Decimal
    mark_price: Decimal
    unrealised_pnl: Decimal
    cur_realised_pnl: Decimal
    cum_realised_pnl: Decimal
    position_im: Decimal
    take_profit: Decimal | None
    stop_loss: Decimal | None
    trailing_stop: Decimal | None
    created_ms: int
    updated_ms: int
    seq: int
    position_mm: Decimal = Decimal(0)  # maintenance margin at the mark
    liq_price: Decimal | None = None  # isolated margin only: cross liquidates on the whole account's equity
    bust_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CoinView:
    """One coin of a unified wallet; ``order_im``/``position_im`` are linear margin held in the settle coin."""

    coin: str
    balance: Decimal
    locked: Decimal
    order_im: Decimal
    position_im: Decimal
    unrealised_pnl: Decimal
    cum_realised_pnl: Decimal
    usd_value: Decimal
    position_mm: Decimal = Decimal(0)  # maintenance margin of the positions it settles, at the mark

    @property
    def equity(self) -> Decimal:
        return self.balance + self.unrealised_pnl

    @property
    def available(self) -> Decimal:
        return self.balance - self.locked - self.order_im - self.position_im


@dataclass(frozen=True, slots=True)
class WalletView:
    """A whole unified wallet at one moment."""

    account: str
    coins: tuple[CoinView, ...]
    updated_ms: int

    def coin(self, name: str) -> CoinView | None:
        return next((c for c in self.coins if c.coin == name), None)
