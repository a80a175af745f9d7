"""CommandService: the one entry point of every front end; each command is one method, ``execute`` takes any."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from tradewind.application.commands.outcomes import (
    Balances,
    BookView,
    CommandError,
    DealList,
    HelpText,
    Outcome,
    Refusal,
    SystemStatus,
    TradeList,
    Unsubscribed,
    WouldCreate,
    WouldPublish,
)
from tradewind.application.messages.codec import MalformedPayload
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.ports.market_data import MarketData, SubscriptionStatus
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.twap import JobExists
from tradewind.application.twap.service import JobNotFound, JobTransitionError, JobView, TwapService
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.command_language import COMMANDS, LanguageContext, help_text
from tradewind.domain.commands import (
    ArchiveTwap,
    CancelTwap,
    CloseAll,
    CloseTrade,
    Command,
    Confirm,
    ControlTwap,
    CreateTwap,
    DryRun,
    Help,
    InputLimits,
    ListDeals,
    ListPositions,
    ListSubscriptions,
    ListTrades,
    ListTwaps,
    OpenTrade,
    PauseTwap,
    Quit,
    ResumeTwap,
    ShowBalance,
    ShowBook,
    ShowPositionStatus,
    ShowStatus,
    ShowTwap,
    Subscribe,
    TradeCommand,
    TraderCommand,
    TwapReport,
    Unsubscribe,
)
from tradewind.domain.market import InstrumentRef
from tradewind.domain.numbers import NumberError, parse_decimal, parse_int
from tradewind.domain.orders import Balance
from tradewind.domain.spread.orders import SpreadBook, SpreadQuery
from tradewind.domain.trading.pnl import PnlReport
from tradewind.domain.trading.status import PositionStatus
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import ExecutionReport
from tradewind.domain.twap.spec import TwapSpec, TwapSpecError
from tradewind.domain.values import Side

if TYPE_CHECKING:  # the workflows this service reaches load with the processes that run them, not with every verb
    from tradewind.application.ports.spread import SpreadView
    from tradewind.application.trading.service import TraderService
    from tradewind.application.trading.trade_client import TradeClient


class CommandService:
    """Runs commands on the workflows this system has (TWAP, market data); a missing one refuses as UNSUPPORTED."""

    def __init__(
        self,
        *,
        twap: TwapService | None = None,
        market_data: MarketData | None = None,
        trader: TraderService | None = None,
        default_exchange: str | None = None,
        limits: InputLimits | None = None,
        language: LanguageContext | None = None,
        spreads: SpreadView | None = None,
        trades: TradeClient | None = None,
    ) -> None:
        self._spreads = spreads
        self._trades = trades
        self._twap = twap
        self._market_data = market_data
        self._trader = trader
        self._default_exchange = default_exchange
        self.limits = limits or InputLimits()
        # What the text front ends parse with: aliases, exchanges and limits of this system.
        self.language = language or LanguageContext(default_exchange=default_exchange, limits=self.limits)

    @property
    def runs_twap(self) -> bool:
        return self._twap is not None

    @property
    def runs_market_data(self) -> bool:
        return self._market_data is not None

    @property
    def runs_spreads(self) -> bool:
        return self._spreads is not None

    async def spread_book(self, *, open_only: bool = False, limit: int = 100) -> SpreadBook:
        """Spreads (newest first), exposure by instrument and the total, from the trading engine."""
        if self._spreads is None:
            raise CommandError(Refusal.UNSUPPORTED, "this system does not run the spread workflow")
        try:
            query = SpreadQuery(open_only, limit)
        except ValueError as exc:
            raise CommandError(Refusal.INVALID, str(exc)) from None
        try:
            return await self._spreads.book(query)
        except BusError as exc:
            raise CommandError(Refusal.UNAVAILABLE, f"service unavailable: {exc}") from None

    @property
    def runs_trader(self) -> bool:
        return self._trader is not None

    async def execute(self, command: Command) -> Outcome:
        """Any command; for front ends that parse text into commands (Telegram, the command language)."""
        match command:
            case CreateTwap():
                return await self.create_twap(command)
            case PauseTwap() | ResumeTwap() | CancelTwap() | ArchiveTwap():
                return await self.control_twap(command)
            case ShowTwap():
                return await self.show_twap(command)
            case ListTwaps():
                return await self.list_twaps(command)
            case TwapReport():
                return await self.twap_report(command)
            case Subscribe():
                return await self.subscribe(command)
            case Unsubscribe():
                return await self.unsubscribe(command)
            case ListSubscriptions():
                return await self.list_subscriptions(command)
            case ShowBook():
                return await self.show_book(command)
            case DryRun():
                return await self.dry_run(command)
            case OpenTrade() | CloseTrade() | CloseAll() if self._trades is not None:
                return await self.trade(command)
            case ListTrades() if self._trades is not None:
                return await self.list_trades(command)
            case ListPositions() if self._trader is not None:
                return await self.positions(command)
            case ListDeals() if self._trader is not None:
                return await self.deals(command)
            case ShowBalance() if self._trader is not None:
                return await self.balance(command)
            case ShowPositionStatus():
                return await self.position_status(command)
            case ShowStatus():
                return self.status()
            case Help():
                return self.help(command)
            case Quit():
                raise CommandError(
                    Refusal.UNSUPPORTED, "quit stops the whole system: give it at the terminal (or chat) that runs it"
                )
            case Confirm():  # the command gate keeps pending confirmations; the service itself has none
                raise CommandError(Refusal.NOT_FOUND, f"no command waits for confirmation under {command.code!r}")
            case _:
                raise CommandError(
                    Refusal.UNSUPPORTED,
                    f"{_verb(command)} needs the trader service, which this system does not run yet",
                )

    async def create_twap(self, command: CreateTwap) -> TwapJob:
        """Validate against the exchange's instrument and price, store the job and start it."""
        twap = self._twap_service()
        with _twap_refusals():
            return await twap.create(self._twap_spec(command), command.job_id)

    def _twap_spec(self, command: CreateTwap) -> TwapSpec:
        try:
            _check_numbers(command, self.limits)
        except NumberError as exc:
            raise CommandError(Refusal.INVALID, str(exc)) from None
        with _twap_refusals():
            spec = command.spec(self._default_exchange)
        if spec.slices > self.limits.max_slices:
            raise CommandError(
                Refusal.INVALID, f"{spec.slices} slices is more than {self.limits.max_slices}: lengthen the interval"
            )
        return spec

    async def dry_run(self, command: DryRun) -> WouldPublish | WouldCreate:
        """What the command would do, changing nothing: the TWAP job it would store, or the trade event it sends."""
        inner = command.command
        if isinstance(inner, CreateTwap):
            twap = self._twap_service()
            spec = self._twap_spec(inner)
            with _twap_refusals():
                return WouldCreate(await twap.prepare(spec, inner.job_id))
        event = TradeCommandEvent(self._on_exchange(_checked_trade(inner, self.limits)), dry=True)
        return WouldPublish(event.topic, event)

    @property
    def runs_trades(self) -> bool:
        return self._trades is not None

    async def trade(self, command: TradeCommand, *, key: str | None = None) -> TradeList:
        """Send the trade command to the desk (``cmd.trade.<exchange>``) and answer the trades it opened or closed;
        ``key`` (default: a new one) identifies the trade an open starts."""
        client = self._trade_client()
        event = TradeCommandEvent(self._on_exchange(_checked_trade(command, self.limits)), key=key or uuid.uuid4().hex)
        try:
            answer = await client.submit(event)
        except (BusError, MalformedPayload) as exc:  # the desk may have acted: the answer is what is missing
            raise CommandError(
                Refusal.UNAVAILABLE, f"the trade desk did not answer ({exc}): see `trades` for what it did",
                dependency="trader",
            ) from None  # fmt: skip
        if answer.error:
            raise CommandError(Refusal.REJECTED, answer.error)
        return TradeList(answer.trades)

    async def list_trades(self, command: ListTrades, *, live_only: bool = True) -> TradeList:
        """The ongoing trades (of one exchange, or every one), oldest first."""
        try:
            answer = await self._trade_client().trades(command.exchange, live_only=live_only)
        except (BusError, MalformedPayload) as exc:
            raise CommandError(
                Refusal.UNAVAILABLE, f"the trade desk did not answer: {exc}", dependency="trader"
            ) from None
        return TradeList(answer.trades)

    def _trade_client(self) -> TradeClient:
        if self._trades is None:
            raise CommandError(Refusal.UNSUPPORTED, "trades need the trade desk, which this system does not run "
                               "(trades.enabled, or `tradewind service trader`)")  # fmt: skip
        return self._trades

    def status(self) -> SystemStatus:
        return SystemStatus(self.runs_twap, self.runs_market_data, self.runs_trader, self._default_exchange)

    async def positions(self, command: ListPositions) -> PnlReport:
        """Open positions with unrealised PnL, realised and unrealised by source and in total, and the differences
        reconciling found (of one exchange, or every one)."""
        report = await self._trader_service().report()
        if command.exchange is None:
            return report
        return replace(report, positions=tuple(p for p in report.positions if p.deal.exchange == command.exchange))

    async def deals(self, command: ListDeals, *, source: str | None = None, symbol: str | None = None,
                    limit: int = 500) -> DealList:  # fmt: skip
        """The trader's deals, newest first (of one exchange, source or symbol)."""
        found = await self._trader_service().deals(source=source, symbol=symbol, limit=limit)
        return DealList(tuple(d for d in found if command.exchange in (None, d.exchange)))

    async def balance(self, command: ShowBalance) -> Balances:
        trader = self._trader_service()
        names = [command.exchange] if command.exchange is not None else trader.exchanges
        found: dict[str, dict[str, Balance]] = {}
        errors: dict[str, str] = {}
        for name in names:
            try:
                found[name] = await trader.balances(name)
            except (ExchangeError, KeyError) as exc:
                errors[name] = str(exc)
        if command.exchange is not None and errors:
            raise CommandError(Refusal.UPSTREAM, f"balance of {command.exchange}: {errors[command.exchange]}")
        return Balances(found, errors)

    async def position_status(self, command: ShowPositionStatus) -> PositionStatus:
        """What the trader allows for one symbol and source now."""
        trader = self._trader_service()
        exchange = command.exchange or self._default_exchange
        if exchange is None:
            raise CommandError(Refusal.INVALID, "name the exchange: no default exchange is configured")
        return await trader.status(exchange, command.category, command.symbol, command.source)

    def _trader_service(self) -> TraderService:
        if self._trader is None:
            raise CommandError(Refusal.UNSUPPORTED, "positions and deals need the trader service, which this system "
                               "does not run (trader.enabled, or `tradewind service trader`)")  # fmt: skip
        return self._trader

    def help(self, command: Help) -> HelpText:
        if command.topic is not None and command.topic not in COMMANDS:
            raise CommandError(Refusal.INVALID, f"no command {command.topic!r} to explain: use one of {COMMANDS}")
        return HelpText(command.topic, help_text(command.topic))

    def _on_exchange(self, command: TradeCommand) -> TradeCommand:
        """A trade on one market names its exchange: the default when it names none (close all means every one)."""
        if isinstance(command, OpenTrade | CloseTrade) and command.exchange is None:
            if self._default_exchange is None:
                raise CommandError(Refusal.INVALID, "name the exchange: no default exchange is configured")
            return replace(command, exchange=self._default_exchange)
        return command

    async def control_twap(self, command: ControlTwap) -> TwapJob:
        twap = self._twap_service()
        with _twap_refusals():
            match command:
                case PauseTwap():
                    return await twap.pause(command.job_id)
                case ResumeTwap():
                    return await twap.resume(command.job_id)
                case CancelTwap():
                    return await twap.cancel(command.job_id)
                case ArchiveTwap():
                    return await twap.archive(command.job_id)

    async def show_twap(self, command: ShowTwap) -> JobView:
        twap = self._twap_service()
        with _twap_refusals():
            return await twap.show(command.job_id)

    async def list_twaps(self, command: ListTwaps) -> list[TwapJob]:
        twap = self._twap_service()
        with _twap_refusals():
            return await twap.list(archived=command.archived)

    async def twap_report(self, command: TwapReport) -> ExecutionReport:
        twap = self._twap_service()
        with _twap_refusals():
            return await twap.report(command.job_id)

    async def subscribe(self, command: Subscribe) -> SubscriptionStatus:
        market_data = self._market_data_service()
        with _market_data_refusals():
            return await market_data.subscribe(command.ref, command.depth)

    async def unsubscribe(self, command: Unsubscribe) -> Unsubscribed:
        market_data = self._market_data_service()
        with _market_data_refusals():
            await market_data.unsubscribe(command.ref)
        return Unsubscribed(command.ref)

    async def list_subscriptions(self, _command: ListSubscriptions) -> list[SubscriptionStatus]:
        market_data = self._market_data_service()
        with _market_data_refusals():
            return await market_data.refresh()

    async def show_book(self, command: ShowBook) -> BookView:
        """The collector's book of the subscription that matches (any matching key when the command gives none)."""
        market_data = self._market_data_service()
        topic = InstrumentRef(command.exchange, command.category, command.symbol).topic("book")
        with _market_data_refusals():
            status = next(
                (
                    s
                    for s in await market_data.refresh()
                    if s.ref.topic("book") == topic and command.matching_key in (None, s.ref.matching_key)
                ),
                None,
            )
            snapshot = None if status is None else await market_data.fetch_book(status.ref)
        if snapshot is None or status is None:
            what = "not subscribed" if status is None else "no book yet (not synced)"
            raise CommandError(
                Refusal.NOT_FOUND, f"{command.exchange} {command.category.value} {command.symbol}: {what}"
            )
        return BookView(snapshot, command.depth, status.stale)

    def _twap_service(self) -> TwapService:
        if self._twap is None:
            raise CommandError(Refusal.UNSUPPORTED, "TWAP does not run in this system")
        return self._twap

    def _market_data_service(self) -> MarketData:
        if self._market_data is None:
            raise CommandError(Refusal.UNSUPPORTED, "market-data subscriptions are not served by this system")
        return self._market_data


def _verb(command: TraderCommand) -> str:
    match command:
        case OpenTrade():
            return "buy" if command.side is Side.BUY else "sell"
        case CloseTrade() | CloseAll():
            return "close"
        case ListPositions():
            return "positions"
        case ListTrades():
            return "trades"
        case ListDeals():
            return "deals"
        case ShowBalance():
            return "balance"
        case ShowPositionStatus():
            return "position status"


def _checked_trade(command: TradeCommand, limits: InputLimits) -> TradeCommand:
    """The command if its numbers are within the limits (whichever front end built it), else CommandError."""
    if not isinstance(command, OpenTrade):
        return command
    try:
        parse_decimal(command.amount, "amount", limits.numbers)
        numbers = (
            ("limit_price", command.limit_price, None), ("trailing_stop_pct", command.trailing_stop_pct, 100),
            ("stop_loss_pct", command.stop_loss_pct, 100), ("take_profit_pct", command.take_profit_pct, None),
        )  # fmt: skip
        for name, number, below in numbers:
            if number is not None:
                parse_decimal(number, name, limits.numbers)
                if number <= 0 or (below is not None and number >= below):
                    raise CommandError(Refusal.INVALID, f"{name} must be above 0{_below(below)}, got {number}")
    except NumberError as exc:
        raise CommandError(Refusal.INVALID, str(exc)) from None
    if command.amount <= 0:
        raise CommandError(Refusal.INVALID, f"amount must be positive, got {command.amount}")
    return command


def _below(bound: Decimal | int | None) -> str:
    return "" if bound is None else f" and below {bound}"


def _check_numbers(command: CreateTwap, limits: InputLimits) -> None:
    """The limits again, whichever front end built the command (its parser may have had other limits, or none)."""
    most_s = limits.max_runtime_s
    wholes = (
        ("runtime_s", command.runtime_s, 1, most_s), ("slices", command.slices, 1, limits.max_slices),
        ("interval_s", command.interval_s, 1, most_s), ("seed", command.seed, 0, limits.max_seed),
    )  # fmt: skip
    for name, whole, low, high in wholes:
        if whole is not None:
            parse_int(whole, name, low=low, high=high)
    decimals = (
        ("quantity", command.quantity), ("notional", command.notional), ("limit_price", command.limit_price),
        ("max_slippage_bps", command.max_slippage_bps), ("size_jitter", command.size_jitter),
        ("time_jitter", command.time_jitter),
    )  # fmt: skip
    for name, number in decimals:
        if number is not None:
            parse_decimal(number, name, limits.numbers)


def _database_down(exc: StoreUnavailable) -> CommandError:
    return CommandError(Refusal.UNAVAILABLE, exc.detail, dependency="database")


@contextlib.contextmanager
def _twap_refusals() -> Iterator[None]:
    try:
        yield
    except JobNotFound as exc:
        raise CommandError(Refusal.NOT_FOUND, str(exc)) from None
    except (JobTransitionError, JobExists) as exc:
        raise CommandError(Refusal.CONFLICT, str(exc)) from None
    except TwapSpecError as exc:
        raise CommandError(Refusal.INVALID, str(exc)) from None
    except ExchangeError as exc:  # the exchange could not be asked for the instrument or price: not the input
        raise CommandError(Refusal.UPSTREAM, f"exchange error, nothing stored: {exc}") from None
    except BusError as exc:
        raise CommandError(Refusal.UNAVAILABLE, f"service unavailable: {exc}", dependency="broker") from None
    except StoreUnavailable as exc:
        raise _database_down(exc) from None


@contextlib.contextmanager
def _market_data_refusals() -> Iterator[None]:
    # The MarketData port's contract: bad input is a ValueError, an unknown subscription a KeyError.
    try:
        yield
    except StoreUnavailable as exc:  # the collector's saved subscriptions
        raise _database_down(exc) from None
    except BusError as exc:  # distributed mode: the market-data service failed or did not answer
        raise CommandError(Refusal.UNAVAILABLE, f"service unavailable: {exc}", dependency="market-data") from None
    except KeyError as exc:
        raise CommandError(Refusal.NOT_FOUND, str(exc)) from None
    except ValueError as exc:
        raise CommandError(Refusal.REJECTED, str(exc)) from None
