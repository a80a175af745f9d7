"""`tradewind service telegram` over RabbitMQ and PostgreSQL, its Bot API a stand-in on loopback: an allowlisted
chat reads the TWAP jobs, the audit log is in PostgreSQL, and an admin's confirmed `quit` ends the process with 0;
notices published before the bot ever started (the publishing service declared their queue) reach the chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.telegram_api import BOT_TOKEN, bot_api
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.application.messages.trade_events import announce
from tradewind.application.messages.twap import SLICE_DONE, SliceDone
from tradewind.domain.ids import JobId
from tradewind.domain.trading.events import EventKind, Origin, TradeEvent
from tradewind.domain.twap.job import JobStatus
from tradewind.domain.values import Category, Side

from .distributed_support import StartService

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
ADMIN, STRANGER = 5001, 5009
CONFIG = """
commands:
  users:
    - {{name: ada, role: admin, telegram_chats: [{admin}]}}
telegram:
  base_url: "{base_url}"
  poll_timeout_s: 5
"""


async def test_the_telegram_service_answers_audits_and_quits_when_an_admin_confirms(
    start_service: StartService, service_env: dict[str, str], tmp_path: Path, schema_tables: Callable[[str], int]
) -> None:
    async with bot_api() as api:
        config = tmp_path / "tw.yaml"
        config.write_text(CONFIG.format(admin=ADMIN, base_url=api.base_url))
        service_env["TRADEWIND_TELEGRAM__TOKEN"] = BOT_TOKEN
        await start_service("storage")  # migrates
        telegram = await start_service("telegram", "-c", str(config))
        api.send_text(STRANGER, "twap list")
        api.send_text(ADMIN, "twap list")
        assert await api.reply_count(ADMIN, 1) == ["(none)"]
        assert await api.reply_count(STRANGER, 1) == ["refused: not allowed: chat 5009 is not a configured user"]
        api.send_text(ADMIN, "quit")
        await api.reply_count(ADMIN, 2)
        markup = api.sent[-1].reply_markup
        assert markup is not None
        api.press(ADMIN, markup["inline_keyboard"][0][0]["callback_data"])
        async with asyncio.timeout(60):
            code = await telegram.process.wait()
        assert code == 0, telegram.output()
        assert api.replies(ADMIN)[2] == "stopping: yes"
    assert schema_tables("command_audit") == 4  # two lists, quit, its confirmation


async def test_notices_published_before_the_bot_ever_started_reach_the_chat_once_it_does(
    start_service: StartService, service_env: dict[str, str], tmp_path: Path
) -> None:
    async with bot_api() as api:
        config = tmp_path / "tw.yaml"
        config.write_text(CONFIG.format(admin=ADMIN, base_url=api.base_url))
        await start_service("storage")
        await start_service("trader", "-c", str(config))  # publishes trades and deals: declares telegram.notices
        publisher = RabbitMqBus(RabbitMqSettings(url=service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]))
        await publisher.start()
        try:  # the bot has never run on this broker: without the trader's declaration both would be dropped
            d = Decimal
            opened = TradeEvent(
                EventKind.OPENED, Origin.DESK, 7, "", "sim", Category.SPOT, "BTCUSDT", Side.BUY, d("0.001"),
                d("100000"), None, None, d("0.08"), "", False, "USDT", d("0.1"), d("0.000001"), 0,
            )  # fmt: skip
            await announce(publisher, opened)
            done = SliceDone(JobId("n1"), 0, JobStatus.RUNNING, Decimal("0.01"), Decimal("0.02"))
            await publisher.publish(SLICE_DONE.kind, SLICE_DONE.encode(done))
        finally:
            await publisher.close()
        service_env["TRADEWIND_TELEGRAM__TOKEN"] = BOT_TOKEN
        await start_service("telegram", "-c", str(config))  # subscribes to the queue the trader declared
        assert await api.reply_count(ADMIN, 2) == [
            "Trade 7 opened on sim spot: Buy 0.001000 BTCUSDT at 100000.0, fees 0.0800000 USDT",
            "TWAP n1 slice 1 done: filled 0.01/0.02 (running)",
        ]
