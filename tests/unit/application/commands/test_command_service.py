"""The command service over small in-memory fakes of the ports (no database): what each command does, and how each
refusal is classified, whichever front end asks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tests.fakes.twap_repository import InMemoryTwapRepository
from tests.support.waiting import eventually
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.application.commands import (
    BookView,
    CommandError,
    CommandService,
    HelpText,
    Refusal,
    SystemStatus,
    Unsubscribed,
    WouldCreate,
    WouldPublish,
)
from tradewind.application.messages.twap import COMMAND_TOPIC
from tradewind.application.ports.bus import Message, RequestTimeout
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.service import TwapService
from tradewind.application.venue import AccountSettings, SimVenue, VenueSettings
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.commands import (
    CancelTwap,
    CloseAll,
    CloseTrade,
    Command,
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
    ShowStatus,
    ShowTwap,
    Subscribe,
    TwapReport,
    Unsubscribe,
)
from tradewind.domain.ids import JobId
from tradewind.domain.instruments import default_instruments
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.twap.job import JobStatus
from tradewind.domain.values import Category, Side

BUY = CreateTwap(Side.BUY, "btcusdt", 3600, quantity=Decimal("0.12"), slices=12, job_id="one")
REF = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "btc")


class FakeMarketData:
    """Subscriptions in a dict; ``refresh`` bumps the counters, as a collector's live list would."""

    def __init__(self, *, exchanges: tuple[str, ...] = ("sim",), down: bool = False) -> None:
        self.exchanges = exchanges
        self.down = down
        self.store_down = False  # the collector's saved subscriptions cannot be written
        self.subs: dict[InstrumentRef, SubscriptionStatus] = {}
        self.books: dict[InstrumentRef, BookSnapshot] = {}

    async def subscribe(self, ref: InstrumentRef, depth: int = 50) -> SubscriptionStatus:
        if self.down:
            raise RequestTimeout("rpc.md.subscribe: no answer within 5 s")
        if self.store_down:
            raise StoreUnavailable("connection refused")
        if ref.exchange not in self.exchanges:
            raise ValueError(f"no market-data stream for exchange {ref.exchange!r}")
        self.subs[ref] = SubscriptionStatus(ref, depth, False, False, 0, 0, 0)
        return self.subs[ref]

    async def unsubscribe(self, ref: InstrumentRef) -> None:
        if self.subs.pop(ref, None) is None:
            raise KeyError(f"{ref.topic('book')} is not subscribed")

    def subscriptions(self) -> list[SubscriptionStatus]:
        return list(self.subs.values())

    async def refresh(self) -> list[SubscriptionStatus]:
        self.subs = {
            r: SubscriptionStatus(r, s.depth, True, s.stale, s.updates + 1, 0, 7) for r, s in self.subs.items()
        }
        return self.subscriptions()

    def book(self, ref: InstrumentRef) -> BookSnapshot | None:
        return self.books.get(ref)

    async def fetch_book(self, ref: InstrumentRef) -> BookSnapshot | None:
        return self.books.get(ref)


@dataclass
class World:
    commands: CommandService
    repo: InMemoryTwapRepository
    market: FakeMarketData
    notices: list[Message]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = SimClock()
    account = AccountSettings(api_key="trader", api_secret=SecretStr("s"), balances={"USDT": Decimal(10**6)})
    venue = SimVenue([MatchingEngine(i) for i in default_instruments()], clock, VenueSettings(accounts=(account,)))
    bus = InMemoryBus()
    await bus.start()
    notices: list[Message] = []

    async def heard(message: Message) -> None:
        notices.append(message)

    await bus.subscribe(COMMAND_TOPIC, heard)
    repo, market = InMemoryTwapRepository(), FakeMarketData()
    twap = TwapService(repo, {"sim": SimGateway(venue, "trader")}, bus, clock, JobJournal(repo.logs, clock))
    commands = CommandService(
        twap=twap, market_data=market, default_exchange="sim", limits=InputLimits(max_runtime_s=86_400, max_slices=1000)
    )
    yield World(commands, repo, market, notices)
    await bus.close()


async def _refused(world: World, command: Command) -> CommandError:
    with pytest.raises(CommandError) as caught:
        await world.commands.execute(command)
    return caught.value


async def test_create_fills_in_the_default_exchange_stores_the_job_and_tells_the_scheduler(world: World) -> None:
    job = await world.commands.create_twap(BUY)
    assert (job.job_id, job.spec.exchange, job.spec.symbol, job.slices) == ("one", "sim", "BTCUSDT", 12)
    assert world.repo.jobs == {"one": job}

    async def notices() -> list[Message]:
        return world.notices

    heard = await eventually(notices, bool)
    assert [(m.topic, m.payload["action"], m.payload["job_id"]) for m in heard] == [(COMMAND_TOPIC, "create", "one")]


async def test_an_interval_becomes_the_slice_count(world: World) -> None:
    job = await world.commands.create_twap(CreateTwap(Side.SELL, "BTCUSDT", 3600, Decimal("0.12"), interval_s=300))
    assert job.slices == 12


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (CreateTwap(Side.BUY, "BTCUSDT", 300, Decimal("0.12"), interval_s=600), "shorter than one interval of 600 s"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("0.12"), slices=12, interval_s=300), "not both"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("0.12")), "neither was given"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("-1"), slices=12), "size must be positive"),
        (CreateTwap(Side.BUY, "DOGEUSDT", 3600, Decimal("1"), slices=12), "unknown symbol 'DOGEUSDT'"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("1"), slices=12, exchange="nope"), "unknown exchange 'nope'"),
        (
            CreateTwap(Side.BUY, "BTCUSDT", 86_401, Decimal("1"), slices=12),
            "runtime_s must be a whole number from 1 to 86400",
        ),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("1"), slices=12, seed=-1), "seed must be a whole number from 0"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("1e13"), slices=12), "quantity must be a number"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal(1), slices=100_001), "slices must be a whole number from 1 to"),
        (CreateTwap(Side.BUY, "BTCUSDT", 86_400, Decimal(100), interval_s=1), "86400 slices is more than 1000"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("NaN"), slices=12), "quantity must be a number"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal(1), slices=12, limit_price=Decimal("Infinity")), "limit_price"),
        (CreateTwap(Side.BUY, "BTCUSDT", 3600, Decimal("1"), slices=12, job_id="Bad Id!"), "lowercase letters"),
    ],
)
async def test_a_job_that_cannot_run_is_invalid_and_nothing_is_stored(
    world: World, command: CreateTwap, says: str
) -> None:
    refusal = await _refused(world, command)
    assert refusal.refusal is Refusal.INVALID and says in str(refusal)
    assert world.repo.jobs == {}


async def test_a_job_id_taken_is_a_conflict_and_the_first_job_stays(world: World) -> None:
    first = await world.commands.create_twap(BUY)
    refusal = await _refused(world, CreateTwap(Side.SELL, "BTCUSDT", 600, Decimal("1"), slices=2, job_id="one"))
    assert refusal.refusal is Refusal.CONFLICT and "already exists" in str(refusal)
    assert world.repo.jobs == {"one": first}


async def test_pause_resume_and_cancel_move_the_job_and_what_does_not_apply_is_a_conflict(world: World) -> None:
    await world.commands.create_twap(BUY)
    assert (await world.commands.control_twap(PauseTwap("one"))).status is JobStatus.PAUSED
    assert (await _refused(world, PauseTwap("one"))).refusal is Refusal.CONFLICT
    assert (await world.commands.execute(ResumeTwap("one"))).status is JobStatus.RUNNING  # type: ignore[union-attr]
    assert (await world.commands.control_twap(CancelTwap("one"))).status is JobStatus.CANCELLED
    assert (await _refused(world, CancelTwap("one"))).refusal is Refusal.CONFLICT
    assert world.repo.jobs[JobId("one")].status is JobStatus.CANCELLED


@pytest.mark.parametrize("command", [ShowTwap("nojob"), TwapReport("nojob"), PauseTwap("nojob"), CancelTwap("nojob")])
async def test_an_unknown_job_is_not_found_naming_it(world: World, command: Command) -> None:
    refusal = await _refused(world, command)
    assert refusal.refusal is Refusal.NOT_FOUND and "no TWAP job 'nojob'" in str(refusal)


async def test_execute_gives_what_the_typed_method_gives(world: World) -> None:
    job = await world.commands.create_twap(BUY)
    assert await world.commands.execute(ListTwaps()) == [job]
    view = await world.commands.execute(ShowTwap("one"))
    assert view == await world.commands.show_twap(ShowTwap("one"))
    report = await world.commands.execute(TwapReport("one"))
    assert report == await world.commands.twap_report(TwapReport("one"))


async def test_subscribe_list_book_and_unsubscribe_go_to_the_market_data_port(world: World) -> None:
    status = await world.commands.execute(Subscribe(REF, 10))
    assert status == SubscriptionStatus(REF, 10, False, False, 0, 0, 0)
    (listed,) = await world.commands.list_subscriptions(ListSubscriptions())
    assert (listed.synced, listed.updates, listed.last_seq) == (True, 1, 7)  # the live list, not a cached one
    book = BookSnapshot(REF, 7, ((Decimal(99), Decimal(1)),), ((Decimal(101), Decimal(2)),), 5)
    world.market.books[REF] = book
    view = await world.commands.show_book(ShowBook("sim", Category.SPOT, "BTCUSDT", depth=3))
    assert view == BookView(book, 3, False)
    other_key = ShowBook("sim", Category.SPOT, "BTCUSDT", matching_key="eth")
    assert (await _refused(world, other_key)).refusal is Refusal.NOT_FOUND
    assert await world.commands.execute(Unsubscribe(REF)) == Unsubscribed(REF)
    assert world.market.subs == {}


async def test_market_data_refusals_are_classified(world: World) -> None:
    refusal = await _refused(world, Subscribe(InstrumentRef("kraken", Category.SPOT, "BTCUSDT")))
    assert refusal.refusal is Refusal.REJECTED and "kraken" in str(refusal)
    assert (await _refused(world, Unsubscribe(REF))).refusal is Refusal.NOT_FOUND
    refusal = await _refused(world, ShowBook("sim", Category.SPOT, "BTCUSDT"))
    assert refusal.refusal is Refusal.NOT_FOUND and "not subscribed" in str(refusal)
    await world.commands.subscribe(Subscribe(REF))
    refusal = await _refused(world, ShowBook("sim", Category.SPOT, "BTCUSDT"))
    assert refusal.refusal is Refusal.NOT_FOUND and "no book yet" in str(refusal)
    world.market.down = True
    refusal = await _refused(world, Subscribe(REF))
    assert refusal.refusal is Refusal.UNAVAILABLE and "service unavailable" in str(refusal)
    world.market.down, world.market.store_down = False, True
    refusal = await _refused(world, Subscribe(REF))
    assert (refusal.refusal, refusal.dependency, str(refusal)) == (
        Refusal.UNAVAILABLE, "database", "database unavailable: connection refused",
    )  # fmt: skip


@pytest.mark.parametrize("command", [BUY, ListTwaps(), ListSubscriptions(), Subscribe(REF)])
async def test_a_workflow_this_system_does_not_run_is_unsupported(command: Command) -> None:
    with pytest.raises(CommandError) as caught:
        await CommandService().execute(command)
    assert caught.value.refusal is Refusal.UNSUPPORTED


TRADE = OpenTrade(Side.BUY, "BTCUSDT", Decimal(80), trailing_stop_pct=Decimal("2.8"))


@pytest.mark.parametrize(
    ("command", "verb"),
    [(TRADE, "buy"), (OpenTrade(Side.SELL, "ETHUSDT", Decimal(1)), "sell"), (CloseTrade("BTCUSDT"), "close"),
     (CloseAll(), "close"), (ListPositions(), "positions"), (ListTrades(), "trades"), (ListDeals(), "deals"),
     (ShowBalance("sim"), "balance")],
)  # fmt: skip
async def test_trader_commands_are_unsupported_until_the_trader_runs(world: World, command: Command, verb: str) -> None:
    refusal = await _refused(world, command)
    assert refusal.refusal is Refusal.UNSUPPORTED
    assert str(refusal) == f"{verb} needs the trader service, which this system does not run yet"


async def test_a_dry_trade_is_the_event_it_would_send_on_the_default_exchange(world: World) -> None:
    outcome = await world.commands.execute(DryRun(TRADE))
    named = OpenTrade(Side.BUY, "BTCUSDT", Decimal(80), exchange="sim", trailing_stop_pct=Decimal("2.8"))
    assert outcome == WouldPublish("cmd.trade.sim", TradeCommandEvent(named, dry=True))
    assert await world.commands.execute(DryRun(CloseAll())) == WouldPublish(
        "cmd.trade", TradeCommandEvent(CloseAll(), dry=True)
    )


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (OpenTrade(Side.BUY, "BTCUSDT", Decimal(0)), "amount must be positive"),
        (OpenTrade(Side.BUY, "BTCUSDT", Decimal("1e20")), "amount must be a number"),
        (OpenTrade(Side.BUY, "BTCUSDT", Decimal(1), trailing_stop_pct=Decimal(100)), "below 100"),
        (OpenTrade(Side.BUY, "BTCUSDT", Decimal(1), limit_price=Decimal(-1)), "limit_price must be above 0"),
    ],
)
async def test_a_dry_trade_checks_the_numbers_whichever_front_end_built_it(
    world: World, command: OpenTrade, says: str
) -> None:
    refusal = await _refused(world, DryRun(command))
    assert refusal.refusal is Refusal.INVALID and says in str(refusal)


async def test_a_dry_twap_is_the_job_it_would_create_and_nothing_is_stored_or_told(world: World) -> None:
    outcome = await world.commands.execute(DryRun(BUY))
    assert isinstance(outcome, WouldCreate)
    assert (outcome.job.job_id, outcome.job.spec.exchange, outcome.job.slices) == ("one", "sim", 12)
    assert outcome.job.total_qty == Decimal("0.12") == sum(outcome.job.plan) * outcome.job.qty_step
    assert world.repo.jobs == {} and world.notices == []
    refusal = await _refused(world, DryRun(CreateTwap(Side.BUY, "DOGEUSDT", 3600, quantity=Decimal(1), slices=2)))
    assert refusal.refusal is Refusal.INVALID and "unknown symbol 'DOGEUSDT'" in str(refusal)


async def test_help_status_and_quit(world: World) -> None:
    everything = await world.commands.execute(Help())
    assert isinstance(everything, HelpText) and "twap buy|sell MARKET AMOUNT" in everything.text
    one = await world.commands.execute(Help("close"))
    assert isinstance(one, HelpText) and "example: close btc" in one.text
    assert (await _refused(world, Help("nope"))).refusal is Refusal.INVALID
    assert await world.commands.execute(ShowStatus()) == SystemStatus(True, True, False, "sim")
    assert await CommandService().execute(ShowStatus()) == SystemStatus(False, False, False, None)
    refusal = await _refused(world, Quit())
    assert refusal.refusal is Refusal.UNSUPPORTED and "terminal" in str(refusal)
