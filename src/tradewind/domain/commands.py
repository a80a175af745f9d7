"""What a user can ask of Tradewind, as typed values: every front end (CLI, HTTP, later Telegram, the web page and
the text command language) parses its input into one of these and hands it to the command service."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.market import InstrumentRef
from tradewind.domain.numbers import DEFAULT_LIMITS, NumberLimits
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpec, TwapSpecError, slices_for
from tradewind.domain.values import Category, Side


@dataclass(frozen=True, slots=True)
class CreateTwap:
    """A TWAP job as asked: ``slices`` or ``interval_s`` (exactly one); no ``exchange`` means the default one."""

    side: Side
    symbol: str
    runtime_s: int
    quantity: Decimal | None = None
    notional: Decimal | None = None
    slices: int | None = None
    interval_s: int | None = None
    limit_price: Decimal | None = None
    limit_policy: LimitPolicy = LimitPolicy.STOP
    catch_up: CatchUpPolicy = CatchUpPolicy.CATCH_UP
    order_style: OrderStyle = OrderStyle.MARKET
    max_slippage_bps: Decimal = Decimal(50)
    size_jitter: Decimal = Decimal(0)
    time_jitter: Decimal = Decimal(0)
    seed: int = 0
    exchange: str | None = None
    category: Category = Category.SPOT
    job_id: str | None = None
    allow_insufficient: bool = False  # start even if the free balance cannot cover the whole job

    def spec(self, default_exchange: str | None) -> TwapSpec:
        """The job's spec: the one place where an interval becomes a number of slices."""
        exchange = self.exchange or default_exchange
        if exchange is None:
            raise TwapSpecError("name the exchange: no default exchange is configured (exchanges.default)")
        return TwapSpec(
            exchange, self.category, self.symbol.upper(), self.side, self.runtime_s,
            slices_for(self.runtime_s, interval_s=self.interval_s, slices=self.slices),
            quantity=self.quantity, notional=self.notional, limit_price=self.limit_price,
            limit_policy=self.limit_policy, catch_up=self.catch_up, order_style=self.order_style,
            max_slippage_bps=self.max_slippage_bps, size_jitter=self.size_jitter, time_jitter=self.time_jitter,
            seed=self.seed, allow_insufficient=self.allow_insufficient,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PauseTwap:
    job_id: str


@dataclass(frozen=True, slots=True)
class ResumeTwap:
    job_id: str


@dataclass(frozen=True, slots=True)
class CancelTwap:
    job_id: str


@dataclass(frozen=True, slots=True)
class ArchiveTwap:
    """Hide an ended job from lists; it stays in the database."""

    job_id: str


@dataclass(frozen=True, slots=True)
class ShowTwap:
    """A job with its slices, fills and decision log."""

    job_id: str


@dataclass(frozen=True, slots=True)
class ListTwaps:
    archived: bool = False  # include archived jobs


@dataclass(frozen=True, slots=True)
class TwapReport:
    """A job's execution report: fills against the market's TWAP and the arrival price."""

    job_id: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    ref: InstrumentRef
    depth: int = 50


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    ref: InstrumentRef


@dataclass(frozen=True, slots=True)
class ListSubscriptions:
    pass


@dataclass(frozen=True, slots=True)
class ShowBook:
    """The top ``depth`` levels of a subscribed market; ``matching_key`` None matches any."""

    exchange: str
    category: Category
    symbol: str
    depth: int = 20
    matching_key: str | None = None


class AmountUnit(StrEnum):
    """What a trade's amount counts: the quote currency (80 USDT) or the base currency (0.5 ETH)."""

    QUOTE = "quote"
    BASE = "base"


@dataclass(frozen=True, slots=True)
class OpenTrade:
    """Open a trade that manages itself; percentages are of the entry price, ``exchange`` None means the default."""

    side: Side
    symbol: str
    amount: Decimal
    unit: AmountUnit = AmountUnit.QUOTE
    exchange: str | None = None
    category: Category = Category.SPOT
    trailing_stop_pct: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    limit_price: Decimal | None = None  # None: a market order


@dataclass(frozen=True, slots=True)
class CloseTrade:
    """Close the open trade of a market."""

    symbol: str
    exchange: str | None = None
    category: Category = Category.SPOT


@dataclass(frozen=True, slots=True)
class CloseAll:
    """Close every open trade, of one exchange or (None) of all."""

    exchange: str | None = None


@dataclass(frozen=True, slots=True)
class ListPositions:
    exchange: str | None = None  # None: every exchange


@dataclass(frozen=True, slots=True)
class ListTrades:
    """The open trades and their risk levels."""

    exchange: str | None = None


@dataclass(frozen=True, slots=True)
class ListDeals:
    """The closed trades with their results."""

    exchange: str | None = None


@dataclass(frozen=True, slots=True)
class ShowBalance:
    exchange: str | None = None


@dataclass(frozen=True, slots=True)
class ShowPositionStatus:
    """What the trader allows for one symbol and source: an open position, a recent close, whether a BUY may open."""

    symbol: str
    source: str
    exchange: str | None = None  # None: the default exchange
    category: Category = Category.LINEAR


@dataclass(frozen=True, slots=True)
class ShowStatus:
    """Which workflows this system runs."""


@dataclass(frozen=True, slots=True)
class Help:
    """The command language's help: every command, or one (``topic``)."""

    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Quit:
    """Stop every service gracefully; only a front end that owns the system can carry it out."""


@dataclass(frozen=True, slots=True)
class Confirm:
    """Carry out the destructive command waiting under ``code`` (``close all``, ``twap cancel``, ``quit``)."""

    code: str


TradeCommand = OpenTrade | CloseTrade | CloseAll
DryRunnable = TradeCommand | CreateTwap


@dataclass(frozen=True, slots=True)
class DryRun:
    """``--dry``: answer what ``command`` would do and send, and change nothing.

    A wrapper rather than a ``dry`` field, so the command inside is exactly the one that would run, and a handler
    cannot carry out a dry command by forgetting to look at a flag: ``DryRun`` is a type of its own to match.
    """

    command: DryRunnable


ControlTwap = PauseTwap | ResumeTwap | CancelTwap | ArchiveTwap
TwapCommand = CreateTwap | ControlTwap | ShowTwap | ListTwaps | TwapReport
MarketDataCommand = Subscribe | Unsubscribe | ListSubscriptions | ShowBook
TraderCommand = TradeCommand | ListPositions | ListTrades | ListDeals | ShowBalance | ShowPositionStatus
SystemCommand = ShowStatus | Help | Quit | Confirm
Command = TwapCommand | MarketDataCommand | TraderCommand | SystemCommand | DryRun


@dataclass(frozen=True, slots=True)
class InputLimits:
    """The largest numbers a command may carry; front ends parse with these and the command service checks them."""

    numbers: NumberLimits = DEFAULT_LIMITS
    max_runtime_s: int = 366 * 24 * 3600  # a year: a TWAP longer than that is a typo, and it keeps clock maths finite
    max_slices: int = 100_000  # a slice a second for a day is 86,400; the plan is stored as one row
    max_seed: int = 2**63 - 1  # fits the database's BIGINT and any random generator

    def __post_init__(self) -> None:
        if self.max_runtime_s < 1 or self.max_slices < 1:
            raise ValueError(f"max_runtime_s and max_slices must be at least 1, got {self}")
