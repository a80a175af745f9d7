"""What a command answers: its typed result, or a CommandError whose ``refusal`` says what kind of no it is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.application.twap.service import JobView
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.orders import Balance
from tradewind.domain.trading.deals import Deal
from tradewind.domain.trading.pnl import PnlReport
from tradewind.domain.trading.status import PositionStatus
from tradewind.domain.trading.trades import Trade
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import ExecutionReport


class Refusal(StrEnum):
    """Why a command was not carried out; each front end turns it into its own answer (HTTP status, exit code)."""

    INVALID = "invalid"  # the input cannot be run as given; the message says what to change
    REJECTED = "rejected"  # well-formed, but this system does not serve it (e.g. no stream for that exchange)
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the current state does not allow it (already paused, job id taken)
    UNAVAILABLE = "unavailable"  # a service behind the bus failed or did not answer
    UPSTREAM = "upstream"  # the exchange could not be asked; nothing was stored
    UNSUPPORTED = "unsupported"  # this system does not run that workflow
    FORBIDDEN = "forbidden"  # the user's role (or an unknown identity) may not run it


class CommandError(Exception):
    """A command refused; nothing was changed. ``str()`` is the message for the user.

    ``dependency`` names what is down when the refusal is UNAVAILABLE (``database``, ``broker``, ``market-data``).
    """

    def __init__(self, refusal: Refusal, message: str, *, dependency: str | None = None) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.dependency = dependency


@dataclass(frozen=True, slots=True)
class BookView:
    """A subscribed market's book, to be shown to ``depth`` levels; ``stale`` when its stream has gone quiet."""

    book: BookSnapshot
    depth: int
    stale: bool


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    ref: InstrumentRef


@dataclass(frozen=True, slots=True)
class HelpText:
    """The command language's help: every command (``topic`` None) or one."""

    topic: str | None
    text: str


@dataclass(frozen=True, slots=True)
class SystemStatus:
    """Which workflows this system runs, and the exchange a command that names none goes to."""

    twap: bool
    market_data: bool
    trader: bool
    default_exchange: str | None


@dataclass(frozen=True, slots=True)
class DealList:
    """The trader's deals, newest first."""

    deals: tuple[Deal, ...]


@dataclass(frozen=True, slots=True)
class TradeList:
    """Trades a command opened or closed, or the ongoing ones (``trades``)."""

    trades: tuple[Trade, ...]


@dataclass(frozen=True, slots=True)
class Balances:
    """Each exchange's balances by coin, as the trader's gateways read them; ``errors`` where one could not be asked."""

    by_exchange: dict[str, dict[str, Balance]]
    errors: dict[str, str]


@dataclass(frozen=True, slots=True)
class WouldPublish:
    """``--dry`` of a trade command: the event it would put on the bus, and its topic; nothing was sent."""

    topic: str
    event: TradeCommandEvent


@dataclass(frozen=True, slots=True)
class WouldCreate:
    """``--dry`` of a TWAP job: the job as it would be stored (checked against the exchange); nothing was stored."""

    job: TwapJob


@dataclass(frozen=True, slots=True)
class Stopping:
    """``quit`` was accepted: every service stops gracefully, flushing what is buffered."""


Outcome = (
    TwapJob
    | JobView
    | list[TwapJob]
    | ExecutionReport
    | SubscriptionStatus
    | Unsubscribed
    | list[SubscriptionStatus]
    | BookView
    | HelpText
    | SystemStatus
    | WouldPublish
    | WouldCreate
    | Stopping
    | PnlReport
    | DealList
    | TradeList
    | PositionStatus
    | Balances
)
