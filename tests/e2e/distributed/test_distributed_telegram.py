"""`tradewind service telegram` over RabbitMQ and PostgreSQL, its Bot API a stand-in on loopback: an allowlisted
chat reads the TWAP jobs, the audit log is in PostgreSQL, and an admin's confirmed `quit` ends the process with 0."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.telegram_api import BOT_TOKEN, bot_api

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
