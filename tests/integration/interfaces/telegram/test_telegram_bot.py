"""The Telegram front end against a stand-in Bot API on loopback (python-telegram-bot's ``base_url`` pointed at it):
allowlisted chats command, other chats change nothing, a redelivered update runs once, destructive commands wait
for their button, TWAP fills and trades and deals opened or closed are pushed (from a durable queue: what is published
while the bot is down arrives once it starts; each chat gets a notice once through Telegram's passing failures), and
no text makes the bot fail to answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.command_journal import InMemoryCommandJournal
from tests.support.logs import captured_logs
from tests.support.telegram_api import BOT_TOKEN, BotApi, bot_api
from tests.support.twap import Rig, rig
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.application.messages.notices import declare_notice_queue
from tradewind.application.messages.registry import codec_for
from tradewind.application.messages.twap import SLICE_DONE, SliceDone
from tradewind.application.ports.bus import Bus, Handler, Subscription
from tradewind.application.ports.command_journal import CommandJournal, Receipt, ReceiptStatus
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.domain.command_access import Role, User, UserDirectory
from tradewind.domain.command_language import DEFAULT_ALIASES, CommandSyntaxError, LanguageContext, parse_command
from tradewind.domain.ids import JobId
from tradewind.domain.trading.events import EventKind, Origin, TradeEvent
from tradewind.domain.twap.job import JobStatus
from tradewind.domain.values import Category, Side
from tradewind.interfaces.render.commands import JsonRenderer
from tradewind.interfaces.render.trading import trade_event_text
from tradewind.interfaces.telegram.bot import TelegramBot
from tradewind.interfaces.telegram.settings import TelegramSettings

TRADER, VIEWER, ADMIN, STRANGER = 11, 22, 33, 99
D = Decimal


@dataclass
class Chat:
    api: BotApi
    rig: Rig
    gate: CommandGate
    journal: SqlCommandJournal
    stopped: asyncio.Event

    async def say(self, chat_id: int, text: str) -> str:
        """Send ``text`` from ``chat_id``; the bot's answer."""
        before = len(self.api.replies(chat_id))
        self.api.send_text(chat_id, text)
        return (await self.api.reply_count(chat_id, before + 1))[before]


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    async with rig(tmp_path) as r, bot_api() as api:
        language = LanguageContext(DEFAULT_ALIASES, "sim", ("sim",))
        commands = CommandService(twap=r.service, default_exchange="sim", language=language)
        journal = SqlCommandJournal(r.database)
        stopped = asyncio.Event()
        gate = CommandGate(commands, journal, r.clock, JsonRenderer(commands), on_quit=stopped.set)
        users = UserDirectory(
            {TRADER: User("tina", Role.TRADE), VIEWER: User("vic", Role.VIEW), ADMIN: User("ada", Role.ADMIN)},
            {}, User("operator", Role.ADMIN),
        )  # fmt: skip
        settings = TelegramSettings(base_url=api.base_url, poll_timeout_s=5)
        bot = TelegramBot(gate, users, BOT_TOKEN, settings, bus=r.bus, notify_chats=(ADMIN,))
        await bot.start()
        try:
            yield Chat(api, r, gate, journal, stopped)
        finally:
            await bot.stop()


async def test_an_allowlisted_chat_creates_and_lists_a_twap_job(chat: Chat) -> None:
    answer = await chat.say(TRADER, "twap buy btc 0.12 over 1h slices 12 --id tg1")
    assert "job_id: tg1" in answer and "status: running" in answer, answer
    assert [j.job_id for j in await chat.rig.service.list()] == ["tg1"]
    listing = await chat.say(VIEWER, "twap list")
    assert '"job_id": "tg1"' in listing
    assert "getMe" in chat.api.calls and "getUpdates" in chat.api.calls


async def test_a_chat_not_on_the_allowlist_is_refused_and_changes_nothing(chat: Chat) -> None:
    answer = await chat.say(STRANGER, "twap buy btc 0.12 over 1h slices 12 --id evil")
    assert answer == "refused: not allowed: chat 99 is not a configured user"
    assert await chat.rig.service.list() == []
    entry = (await chat.journal.audit_log())[-1]
    assert (entry.user, entry.identity, entry.status) == ("-", "chat 99", ReceiptStatus.REFUSED)


async def test_a_view_user_may_read_but_not_trade(chat: Chat) -> None:
    answer = await chat.say(VIEWER, "twap buy btc 0.12 over 1h slices 12 --id v1")
    assert answer == "refused: vic has role view; this command needs trade"
    assert await chat.rig.service.list() == []


async def test_the_same_update_delivered_twice_creates_one_job(chat: Chat) -> None:
    update = chat.api.send_text(TRADER, "twap buy btc 0.12 over 1h slices 12")  # no --id: a second run would add one
    first = (await chat.api.reply_count(TRADER, 1))[0]
    chat.api.redeliver(update)
    second = (await chat.api.reply_count(TRADER, 2))[1]
    assert "status: running" in first
    assert second.startswith("(already received: nothing was run again)")
    assert len(await chat.rig.service.list()) == 1
    statuses = [(e.key, e.status) for e in await chat.journal.audit_log()]
    assert statuses == [(str(update["update_id"]), ReceiptStatus.DONE)] * 2


async def test_twap_cancel_waits_for_its_button_then_cancels(chat: Chat) -> None:
    await chat.say(TRADER, "twap buy btc 0.12 over 1h slices 12 --id c1")
    answer = await chat.say(TRADER, "twap cancel c1")
    assert "confirm within 120 s with: confirm " in answer
    markup = chat.api.sent[-1].reply_markup
    assert markup is not None
    (button,) = markup["inline_keyboard"][0]
    assert (await chat.rig.service.show("c1")).job.status.value == "running"  # nothing yet
    chat.api.press(TRADER, button["callback_data"])
    done = (await chat.api.reply_count(TRADER, 3))[2]
    assert "status: cancelled" in done, done
    assert len(chat.api.answered_callbacks) == 1


async def test_another_users_code_confirms_nothing(chat: Chat) -> None:
    answer = await chat.say(ADMIN, "quit")
    code = answer.rsplit(" ", 1)[1]
    assert "no command waits for confirmation" in await chat.say(TRADER, f"confirm {code}")
    assert not chat.stopped.is_set()


async def test_quit_from_an_admin_stops_once_confirmed(chat: Chat) -> None:
    assert (await chat.say(TRADER, "quit")) == "refused: tina has role trade; this command needs admin"
    assert not chat.stopped.is_set()
    answer = await chat.say(ADMIN, "quit")
    assert not chat.stopped.is_set()
    assert "stopping: yes" in await chat.say(ADMIN, f"confirm {answer.rsplit(' ', 1)[1]}")
    assert chat.stopped.is_set()


async def test_twap_fills_and_completion_are_pushed_to_notified_chats(chat: Chat) -> None:
    await chat.say(TRADER, "twap buy btc 0.02 over 2m slices 2 --id n1")
    await chat.rig.run_to_end("n1")
    await chat.api.reply_count(ADMIN, 2)
    pushed = chat.api.replies(ADMIN)
    assert pushed[0] == "TWAP n1 slice 1 done: filled 0.01/0.02 (running)"
    assert any(p.startswith("TWAP n1 completed: filled 0.02") for p in pushed[1:]), pushed


def _event(kind: EventKind, origin: Origin, reason: str = "", *, by_exchange: bool = False) -> TradeEvent:
    closed = kind is EventKind.CLOSED
    return TradeEvent(
        kind, origin, 4, "trend-btc" if origin is Origin.TRADER else "", "sim", Category.LINEAR, "BTCUSDT", Side.BUY,
        D("0.010"), D("100010"), D("98009.8") if closed else None, D("-21.0103") if closed else None,
        D("1.9801") if closed else D("1.0001"), reason, by_exchange, "USDT", D("0.1"), D("0.001"), 0,
    )  # fmt: skip


async def test_trades_and_deals_opened_and_closed_are_pushed_to_notified_chats_only(chat: Chat) -> None:
    events = [
        _event(EventKind.OPENED, Origin.DESK),
        _event(EventKind.CLOSED, Origin.DESK, "trailing_stop"),
        _event(EventKind.CLOSED, Origin.TRADER, "stop_loss", by_exchange=True),
    ]
    for event in events:  # one at a time: each chat line in the order the events came
        await chat.rig.bus.publish(event.topic, codec_for(event.topic).encode(event))
        await chat.api.reply_count(ADMIN, events.index(event) + 1)
    assert chat.api.replies(ADMIN) == [
        "Trade 4 opened on sim linear: Buy 0.010 BTCUSDT at 100010.0, fees 1.0001 USDT",
        "Trade 4 closed (trailing stop) on sim linear: Buy 0.010 BTCUSDT at 100010.0 -> 98009.8, PnL -21.0103 USDT, "
        "fees 1.9801 USDT",
        "Deal 4 (trend-btc) closed (stop loss on the exchange) on sim linear: Buy 0.010 BTCUSDT at 100010.0 -> "
        "98009.8, PnL -21.0103 USDT, fees 1.9801 USDT",
    ]
    assert chat.api.replies(TRADER) == [] and chat.api.replies(STRANGER) == []  # only ADMIN has notify on


class ListeningBus(InMemoryBus):
    """The in-memory bus remembering the pattern of every subscription and queue declared."""

    def __init__(self) -> None:
        super().__init__()
        self.patterns: list[str] = []

    async def subscribe(
        self, pattern: str, handler: Handler, *, queue: str | None = None, concurrency: int = 1
    ) -> Subscription:
        self.patterns.append(pattern)
        return await super().subscribe(pattern, handler, queue=queue, concurrency=concurrency)

    async def declare_queue(self, pattern: str, queue: str) -> None:
        self.patterns.append(pattern)
        await super().declare_queue(pattern, queue)


@pytest.mark.parametrize("notify", [True, False])
async def test_telegram_notify_off_listens_to_no_event_at_all(tmp_path: Path, notify: bool) -> None:
    async with rig(tmp_path) as r, bot_api() as api:
        commands = CommandService(twap=r.service, default_exchange="sim")
        gate = CommandGate(commands, SqlCommandJournal(r.database), r.clock, JsonRenderer(commands))
        users = UserDirectory({ADMIN: User("ada", Role.ADMIN)}, {}, User("operator", Role.ADMIN))
        bus = ListeningBus()
        settings = TelegramSettings(base_url=api.base_url, poll_timeout_s=5, notify=notify)
        bot = TelegramBot(gate, users, BOT_TOKEN, settings, bus=bus, notify_chats=(ADMIN,))
        await bot.start()
        try:
            assert set(bus.patterns) == ({"trade.event.#", "trader.deal.#", "twap.event"} if notify else set())
        finally:
            await bot.stop()


def _notifier(
    r: Rig, api: BotApi, bus: Bus, chats: tuple[int, ...], journal: CommandJournal | None = None, **changes: object
) -> TelegramBot:
    """A bot pushing notices from ``bus`` to ``chats``; ``changes`` to its Telegram settings."""
    commands = CommandService(twap=r.service, default_exchange="sim")
    journal = SqlCommandJournal(r.database) if journal is None else journal
    gate = CommandGate(commands, journal, r.clock, JsonRenderer(commands))
    users = UserDirectory(
        {ADMIN: User("ada", Role.ADMIN), TRADER: User("tina", Role.TRADE)}, {}, User("operator", Role.ADMIN)
    )
    settings = TelegramSettings.model_validate({"base_url": api.base_url, "poll_timeout_s": 5, **changes})
    return TelegramBot(gate, users, BOT_TOKEN, settings, bus=bus, notify_chats=chats)


OPENED_TEXT = "Trade 4 opened on sim linear: Buy 0.010 BTCUSDT at 100010.0, fees 1.0001 USDT"


async def _announce(bus: Bus, event: TradeEvent) -> None:
    await bus.publish(event.topic, codec_for(event.topic).encode(event))


@contextlib.asynccontextmanager
async def _rabbit(settings: RabbitMqSettings) -> AsyncIterator[RabbitMqBus]:
    """A started RabbitMqBus on the test's vhost: what a publishing service holds."""
    bus = RabbitMqBus(settings)
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


async def test_trades_published_while_the_bot_is_down_reach_the_chats_once_it_starts(
    tmp_path: Path, rabbit_settings: RabbitMqSettings
) -> None:
    queue = "telegram.notices.downtime"
    async with rig(tmp_path) as r, bot_api() as api, _rabbit(rabbit_settings) as publisher:
        first_bus = RabbitMqBus(rabbit_settings)
        first = _notifier(r, api, first_bus, (ADMIN, TRADER), notify_queue=queue)
        await first.start()  # its first start declares the queue: from now on it holds what the bot has not sent
        await first.stop()
        await first_bus.close()
        events = [_event(EventKind.OPENED, Origin.DESK), _event(EventKind.CLOSED, Origin.DESK, "trailing_stop")]
        for event in events:
            await _announce(publisher, event)
        second_bus = RabbitMqBus(rabbit_settings)
        second = _notifier(r, api, second_bus, (ADMIN, TRADER), notify_queue=queue)
        await second.start()
        try:
            await api.reply_count(ADMIN, 2)
            await _announce(publisher, _event(EventKind.OPENED, Origin.TRADER))  # a marker after both
            await api.reply_count(TRADER, 3)
            await wait_for(lambda: second_bus.delivered == 3)  # all acknowledged: none comes again
        finally:
            await second.stop()
            await second_bus.close()
        texts = [trade_event_text(e) for e in (*events, _event(EventKind.OPENED, Origin.TRADER))]
        assert api.replies(ADMIN) == api.replies(TRADER) == texts
        assert texts[0] == OPENED_TEXT


async def test_a_queue_the_publisher_declared_before_the_bot_ever_ran_is_the_bots_queue(
    tmp_path: Path, rabbit_settings: RabbitMqSettings
) -> None:
    queue = "telegram.notices.first"
    async with rig(tmp_path) as r, bot_api() as api, _rabbit(rabbit_settings) as publisher:
        await declare_notice_queue(publisher, queue)  # what a publishing service does at start
        await declare_notice_queue(publisher, queue)  # and again at its next start: nothing changes
        await _announce(publisher, _event(EventKind.OPENED, Origin.DESK))
        done = SliceDone(JobId("n1"), 0, JobStatus.RUNNING, D("0.01"), D("0.02"))
        await publisher.publish(SLICE_DONE.kind, SLICE_DONE.encode(done))
        bot_bus = RabbitMqBus(rabbit_settings)
        bot = _notifier(r, api, bot_bus, (ADMIN,), notify_queue=queue)
        await bot.start()  # same arguments (durable, dead-letter queue): no PRECONDITION_FAILED
        try:
            assert await api.reply_count(ADMIN, 2) == [OPENED_TEXT, "TWAP n1 slice 1 done: filled 0.01/0.02 (running)"]
            await wait_for(lambda: bot_bus.delivered == 2)
        finally:
            await bot.stop()
            await bot_bus.close()


async def test_a_notice_delivered_again_after_a_restart_is_not_sent_again(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, bot_api() as api:
        first = _notifier(r, api, r.bus, (ADMIN, TRADER))
        await first.start()
        await _announce(r.bus, _event(EventKind.OPENED, Origin.DESK))
        await wait_for(lambda: r.bus.delivered == 1)  # both chats done with it
        await first.stop()
        # As if it had died before the acknowledgement: the broker hands the same notice over again.
        await _announce(r.bus, _event(EventKind.OPENED, Origin.DESK))
        await _announce(r.bus, _event(EventKind.OPENED, Origin.TRADER))  # a marker after it
        second = _notifier(r, api, r.bus, (ADMIN, TRADER))  # the restarted bot, over the same database
        await second.start()
        try:
            await api.reply_count(TRADER, 2)
        finally:
            await second.stop()
        marker = trade_event_text(_event(EventKind.OPENED, Origin.TRADER))
        assert api.replies(ADMIN) == api.replies(TRADER) == [OPENED_TEXT, marker]


class JournalAway(InMemoryCommandJournal):
    """A command journal whose database does not answer."""

    async def claim(self, source: str, key: str, at: datetime) -> Receipt | None:
        raise StoreUnavailable("database: connection refused")

    async def settle(self, source: str, key: str, receipt: Receipt) -> None:
        raise StoreUnavailable("database: connection refused")


async def test_with_the_journal_away_notices_are_still_sent(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, bot_api() as api:
        bot = _notifier(r, api, r.bus, (ADMIN, TRADER), JournalAway())
        await bot.start()
        try:
            with captured_logs() as logs:
                await _announce(r.bus, _event(EventKind.OPENED, Origin.DESK))
                await api.reply_count(TRADER, 1)
                await wait_for(lambda: r.bus.delivered == 1)
        finally:
            await bot.stop()
        assert api.replies(ADMIN) == api.replies(TRADER) == [OPENED_TEXT]
        failed = [e for e in logs if e["event"] == "telegram.notice_journal_failed"]
        assert len(failed) == 4  # each chat's claim and record: logged, the notice sent all the same


async def test_passing_telegram_failures_are_retried_and_each_chat_gets_the_notice_once(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, bot_api() as api:
        bot = _notifier(r, api, r.bus, (ADMIN, TRADER), send_attempts=2, send_backoff_s=0.01)
        api.fail_sends(ADMIN, 502, "Bad Gateway")  # passes on the second attempt
        api.fail_sends(TRADER, 429, "Too Many Requests: retry after 0", retry_after=0)
        api.fail_sends(TRADER, 500, "Internal Server Error", times=2)  # every attempt of the first delivery fails
        await bot.start()
        try:
            await _announce(r.bus, _event(EventKind.OPENED, Origin.DESK))
            await api.reply_count(TRADER, 1)  # the bus delivered it again; ADMIN, done with it, was skipped
            await _announce(r.bus, _event(EventKind.OPENED, Origin.TRADER))  # a marker after it
            await api.reply_count(TRADER, 2)
        finally:
            await bot.stop()
        assert api.replies(ADMIN)[0] == api.replies(TRADER)[0] == OPENED_TEXT
        assert len(api.replies(ADMIN)) == len(api.replies(TRADER)) == 2
        assert await r.bus.dead_letters("telegram.notices") == []


async def test_a_chat_refusing_for_good_is_skipped_and_a_broken_payload_is_dead_lettered(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, bot_api() as api:
        bot = _notifier(r, api, r.bus, (ADMIN, TRADER), send_backoff_s=0.01)
        api.fail_sends(TRADER, 403, "Forbidden: bot was blocked by the user")
        await bot.start()
        try:
            await r.bus.publish("trade.event.opened", {"id": "not a trade"})
            await _announce(r.bus, _event(EventKind.OPENED, Origin.DESK))
            await api.reply_count(ADMIN, 1)
            await _announce(r.bus, _event(EventKind.OPENED, Origin.TRADER))
            await api.reply_count(TRADER, 1)
        finally:
            await bot.stop()
        assert api.replies(ADMIN)[0] == OPENED_TEXT and len(api.replies(ADMIN)) == 2
        assert api.replies(TRADER) == [api.replies(ADMIN)[1]]  # the blocked send is not tried again
        (dead,) = await r.bus.dead_letters("telegram.notices")
        assert dead.payload == {"id": "not a trade"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=80).filter(lambda t: t.strip() and "\x00" not in t))
async def test_any_text_gets_an_answer_never_a_crash(chat: Chat, text: str) -> None:
    answer = await chat.say(VIEWER, text)
    try:
        parse_command(text, chat.gate.service.language)
    except CommandSyntaxError as exc:
        assert answer == f"not a command: {exc}"  # the column, what was expected and the nearest word
    else:
        assert answer.strip()
