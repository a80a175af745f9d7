"""The Telegram front end against a stand-in Bot API on loopback (python-telegram-bot's ``base_url`` pointed at it):
allowlisted chats command, other chats change nothing, a redelivered update runs once, destructive commands wait
for their button, TWAP fills and trades and deals opened or closed are pushed, and no text makes the bot fail to
answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.telegram_api import BOT_TOKEN, BotApi, bot_api
from tests.support.twap import Rig, rig
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.application.messages.registry import codec_for
from tradewind.application.ports.bus import Handler, Subscription
from tradewind.application.ports.command_journal import ReceiptStatus
from tradewind.domain.command_access import Role, User, UserDirectory
from tradewind.domain.command_language import DEFAULT_ALIASES, CommandSyntaxError, LanguageContext, parse_command
from tradewind.domain.trading.events import EventKind, Origin, TradeEvent
from tradewind.domain.values import Category, Side
from tradewind.interfaces.render.commands import JsonRenderer
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
    """The in-memory bus remembering the pattern of every subscription."""

    def __init__(self) -> None:
        super().__init__()
        self.patterns: list[str] = []

    async def subscribe(
        self, pattern: str, handler: Handler, *, queue: str | None = None, concurrency: int = 1
    ) -> Subscription:
        self.patterns.append(pattern)
        return await super().subscribe(pattern, handler, queue=queue, concurrency=concurrency)


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
            expected = ["twap.event", "trade.event.#", "trader.deal.#"] if notify else []
            assert bus.patterns == expected
        finally:
            await bot.stop()


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
