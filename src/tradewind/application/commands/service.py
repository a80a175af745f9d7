"""CommandService: the one entry point of every front end; each command is one method, ``execute`` takes any."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tradewind.application.commands.outcomes import BookView, CommandError, Outcome, Refusal, Unsubscribed
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.ports.market_data import MarketData, SubscriptionStatus
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.twap import JobExists
from tradewind.application.twap.service import JobNotFound, JobTransitionError, JobView, TwapService
from tradewind.domain.commands import (
    ArchiveTwap,
    CancelTwap,
    Command,
    ControlTwap,
    CreateTwap,
    InputLimits,
    ListSubscriptions,
    ListTwaps,
    PauseTwap,
    ResumeTwap,
    ShowBook,
    ShowTwap,
    Subscribe,
    TwapReport,
    Unsubscribe,
)
from tradewind.domain.market import InstrumentRef
from tradewind.domain.numbers import NumberError, parse_decimal, parse_int
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import ExecutionReport
from tradewind.domain.twap.spec import TwapSpecError


class CommandService:
    """Runs commands on the workflows this system has (TWAP, market data); a missing one refuses as UNSUPPORTED."""

    def __init__(
        self,
        *,
        twap: TwapService | None = None,
        market_data: MarketData | None = None,
        default_exchange: str | None = None,
        limits: InputLimits | None = None,
    ) -> None:
        self._twap = twap
        self._market_data = market_data
        self._default_exchange = default_exchange
        self.limits = limits or InputLimits()

    @property
    def runs_twap(self) -> bool:
        return self._twap is not None

    @property
    def runs_market_data(self) -> bool:
        return self._market_data is not None

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

    async def create_twap(self, command: CreateTwap) -> TwapJob:
        """Validate against the exchange's instrument and price, store the job and start it."""
        twap = self._twap_service()
        try:
            _check_numbers(command, self.limits)
        except NumberError as exc:
            raise CommandError(Refusal.INVALID, str(exc)) from None
        with _twap_refusals():
            spec = command.spec(self._default_exchange)
            if spec.slices > self.limits.max_slices:
                raise CommandError(
                    Refusal.INVALID,
                    f"{spec.slices} slices is more than {self.limits.max_slices}: lengthen the interval",
                )
            return await twap.create(spec, command.job_id)

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
        raise CommandError(Refusal.UNAVAILABLE, f"database unavailable: {exc}", dependency="database") from None


@contextlib.contextmanager
def _market_data_refusals() -> Iterator[None]:
    # The MarketData port's contract: bad input is a ValueError, an unknown subscription a KeyError.
    try:
        yield
    except StoreUnavailable as exc:  # the collector's saved subscriptions
        raise CommandError(Refusal.UNAVAILABLE, f"database unavailable: {exc}", dependency="database") from None
    except BusError as exc:  # distributed mode: the market-data service failed or did not answer
        raise CommandError(Refusal.UNAVAILABLE, f"service unavailable: {exc}", dependency="market-data") from None
    except KeyError as exc:
        raise CommandError(Refusal.NOT_FOUND, str(exc)) from None
    except ValueError as exc:
        raise CommandError(Refusal.REJECTED, str(exc)) from None
