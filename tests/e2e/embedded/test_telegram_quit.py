"""`tradewind run` with the Telegram bot embedded (its Bot API a stand-in on loopback): an admin's `quit`, confirmed
with the button, stops the whole system, and everything the simulator published is in the database."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.support.telegram_api import BOT_TOKEN, bot_api
from tradewind.bootstrap.embedded import build_embedded
from tradewind.settings import Settings

ADMIN, VIEWER = 7001, 7002


async def test_a_confirmed_quit_from_an_admin_chat_stops_the_system_with_nothing_lost(tmp_path: Path) -> None:
    async with bot_api() as api:
        settings = Settings.model_validate({
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "logging": {"to_database": False},
            "http": {"enabled": False},
            "simulator": {"step_interval_ms": 20},
            "telegram": {"enabled": True, "token": BOT_TOKEN, "base_url": api.base_url, "poll_timeout_s": 5},
            "commands": {"users": [{"name": "ada", "role": "admin", "telegram_chats": [ADMIN]},
                                   {"name": "vic", "role": "view", "telegram_chats": [VIEWER]}]},
        })  # fmt: skip
        system = build_embedded(settings, console_logging=False, serve_exchange=False)
        await system.start()
        try:
            api.send_text(VIEWER, "quit")
            assert (await api.reply_count(VIEWER, 1)) == ["refused: vic has role view; this command needs admin"]
            api.send_text(ADMIN, "quit")
            (asked,) = await api.reply_count(ADMIN, 1)
            assert not system.shutdown.is_set() and "confirm within" in asked
            markup = api.sent[-1].reply_markup
            assert markup is not None
            api.press(ADMIN, markup["inline_keyboard"][0][0]["callback_data"])
            await asyncio.wait_for(system.shutdown.wait(), 30)  # what `tradewind run` waits on, with the signals
            assert (await api.reply_count(ADMIN, 2))[1] == "stopping: yes"
        finally:
            await system.stop()
    published = system.simulator.published
    assert published > 0 and system.recorder.stats.written == published
    with sqlite3.connect(tmp_path / "tw.db") as db:
        rows = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                   for t in ("market_trades", "market_mids", "book_snapshots"))  # fmt: skip
    assert rows == published
