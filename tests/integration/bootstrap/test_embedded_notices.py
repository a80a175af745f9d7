"""The embedded system with the bot declares the notices' queue right after the bus, before every publisher of
notices (TWAP, the trader, the trade desk) and so before the bot itself, which starts after them; without the bot,
no queue (nobody would read it)."""

from __future__ import annotations

from pathlib import Path

from tradewind.bootstrap.embedded import build_embedded
from tradewind.settings import Settings


def _components(tmp_path: Path, *, bot: bool) -> list[str]:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "logging": {"to_database": False},
            "http": {"enabled": False},
            "telegram": {"enabled": bot, "token": "123:abc", "base_url": "http://127.0.0.1:9/bot"},
            "commands": {"users": [{"name": "ada", "role": "admin", "telegram_chats": [5]}]},
        }
    )
    system = build_embedded(settings, console_logging=False, serve_exchange=False)  # built, never started
    return [c.name for c in system.runner.components]


def test_the_notices_queue_is_declared_before_any_publisher_and_the_bot_start(tmp_path: Path) -> None:
    names = _components(tmp_path, bot=True)
    assert names.index("bus") < names.index("notice-queue")
    assert names.index("notice-queue") < min(names.index(n) for n in ("twap-ordering", "trader", "trades", "telegram"))
    assert "notice-queue" not in _components(tmp_path, bot=False)
