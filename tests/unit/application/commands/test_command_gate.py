"""The command gate over in-memory fakes: roles, confirmation codes that expire on the clock and belong to one user,
one run per idempotency key, quit only where it may be given, and an audit entry for every submission."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.command_journal import InMemoryCommandJournal
from tests.unit.application.commands.test_command_service import FakeMarketData
from tradewind.adapters.clock import SimClock
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate, Submission
from tradewind.application.ports.command_journal import ReceiptStatus
from tradewind.domain.command_access import Role, User
from tradewind.domain.command_language import DEFAULT_ALIASES, LanguageContext
from tradewind.interfaces.render.commands import JsonRenderer

ADA, TINA, VIC = User("ada", Role.ADMIN), User("tina", Role.TRADE), User("vic", Role.VIEW)


@dataclass
class Gate:
    gate: CommandGate
    journal: InMemoryCommandJournal
    market: FakeMarketData
    clock: SimClock
    quits: list[int]


@pytest.fixture
async def world() -> AsyncIterator[Gate]:
    clock = SimClock(start_ns=1_765_000_000 * 10**9)
    market = FakeMarketData()
    language = LanguageContext(DEFAULT_ALIASES, "sim", ("sim",))
    service = CommandService(market_data=market, default_exchange="sim", language=language)
    journal = InMemoryCommandJournal()
    quits: list[int] = []
    codes = iter(f"code{n}" for n in range(100))
    gate = CommandGate(service, journal, clock, JsonRenderer(service), confirm_ttl_s=60,
                       on_quit=lambda: quits.append(1), codes=lambda: next(codes))  # fmt: skip
    yield Gate(gate, journal, market, clock, quits)


async def test_a_repeated_key_answers_the_stored_receipt_and_runs_nothing_again(world: Gate) -> None:
    first = await world.gate.submit(Submission("http", "t", TINA, "subscribe eth", "k1"))
    world.market.subs.clear()  # had it run again, the subscription would be back
    again = await world.gate.submit(Submission("http", "t", TINA, "subscribe eth", "k1"))
    assert first.status is ReceiptStatus.DONE and not first.repeated
    assert again.repeated and again.outcome == first.outcome and world.market.subs == {}
    other_source = await world.gate.submit(Submission("terminal", "t", TINA, "subscribe eth", "k1"))
    assert not other_source.repeated and len(world.market.subs) == 1  # keys are per front end
    assert [e.result.startswith("repeat: ") for e in world.journal.entries] == [False, True, False]


async def test_a_view_user_reads_but_is_refused_a_change_and_an_unknown_identity_everything(world: Gate) -> None:
    assert (await world.gate.submit(Submission("http", "t", VIC, "status"))).status is ReceiptStatus.DONE
    refused = await world.gate.submit(Submission("http", "t", VIC, "subscribe eth"))
    assert (refused.status, refused.refusal) == (ReceiptStatus.REFUSED, "forbidden") and world.market.subs == {}
    stranger = await world.gate.submit(Submission("telegram", "chat 9", None, "status"))
    assert stranger.message == "not allowed: chat 9 is not a configured user"
    assert [(e.user, e.identity, e.status) for e in world.journal.entries][-1] == ("-", "chat 9", "refused")


async def test_quit_waits_for_its_code_from_the_same_user_within_the_time(world: Gate) -> None:
    pending = await world.gate.submit(Submission("telegram", "c", ADA, "quit"))
    assert (pending.status, pending.code, world.quits) == (ReceiptStatus.PENDING, "code0", [])
    other = await world.gate.submit(Submission("telegram", "c", TINA, "confirm code0"))
    assert other.refusal == "not_found" and world.quits == []
    done = await world.gate.submit(Submission("telegram", "c", ADA, "confirm code0"))
    assert (done.status, done.outcome, world.quits) == (ReceiptStatus.DONE, {"stopping": True}, [1])
    again = await world.gate.submit(Submission("telegram", "c", ADA, "confirm code0"))
    assert again.refusal == "not_found" and world.quits == [1]  # a code confirms once


async def test_a_code_expires(world: Gate) -> None:
    await world.gate.submit(Submission("terminal", "t", ADA, "close all"))
    await world.clock.advance(61)
    late = await world.gate.submit(Submission("terminal", "t", ADA, "confirm code0"))
    assert late.status is ReceiptStatus.REFUSED and "expire after 60 s" in late.message


async def test_quit_is_refused_over_http_and_where_the_process_cannot_stop(world: Gate) -> None:
    over_http = await world.gate.submit(Submission("http", "t", ADA, "quit"))
    assert over_http.refusal == "unsupported" and "terminal or telegram" in over_http.message
    world.gate.on_quit = None
    assert (await world.gate.submit(Submission("terminal", "t", ADA, "quit"))).refusal == "unsupported"


async def test_a_confirmed_command_runs_and_its_refusal_is_reported(world: Gate) -> None:
    pending = await world.gate.submit(Submission("terminal", "t", TINA, "close all"))
    done = await world.gate.submit(Submission("terminal", "t", TINA, f"confirm {pending.code}"))
    assert done.status is ReceiptStatus.REFUSED and "needs the trader service" in done.message
    assert done.command == {"type": "close_all", "exchange": None}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120))
async def test_any_text_gets_a_receipt_never_an_exception(world: Gate, text: str) -> None:
    receipt = await world.gate.submit(Submission("telegram", "c", VIC, text))
    assert receipt.status in (ReceiptStatus.DONE, ReceiptStatus.INVALID, ReceiptStatus.REFUSED, ReceiptStatus.PENDING)
    assert receipt.message


async def test_a_side_effect_is_done_once_per_key_and_again_only_when_its_claim_was_never_finished(
    world: Gate,
) -> None:
    assert await world.gate.not_done_yet("telegram.notice", "n1:5")
    assert await world.gate.not_done_yet("telegram.notice", "n1:5")  # claimed, never finished (a crash): again
    await world.gate.done("telegram.notice", "n1:5", "sent")
    assert not await world.gate.not_done_yet("telegram.notice", "n1:5")
    assert await world.gate.not_done_yet("telegram.notice", "n1:6")  # another chat
    assert await world.gate.not_done_yet("telegram", "n1:5")  # another source
    assert world.journal.entries == []  # no command: nothing audited
