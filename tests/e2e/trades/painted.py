"""The embedded system the trade-object tests run: no swarm (the tape painter's trades are the tape), a demo
account to trade from, the HTTP API and the Telegram bot against the stand-in, and the given users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.http_api import TOKEN
from tests.support.tape_painter import painter_account
from tests.support.telegram_api import BOT_TOKEN, BotApi
from tradewind.settings import Settings

NOBODY = {"market_makers": 0, "noise_traders": 0, "momentum_traders": 0, "mean_reversion_traders": 0}
DEMO = {"api_key": "tradewind-demo-key", "api_secret": "tradewind-demo-secret",
        "balances": {"USDT": "100000", "BTC": "1"}}  # fmt: skip


def painted_settings(tmp_path: Path, api: BotApi, users: list[dict[str, Any]]) -> Settings:
    """The settings of that system, its SQLite file under ``tmp_path``."""
    return Settings.model_validate({
        "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
        "logging": {"to_database": False},
        "http": {"port": 0, "token": TOKEN},
        "simulator": {"step_interval_ms": 20, "population": NOBODY},
        "venue": {"accounts": [DEMO, painter_account()]},
        "producer": {"enabled": False},
        "telegram": {"enabled": True, "token": BOT_TOKEN, "base_url": api.base_url, "poll_timeout_s": 5},
        "commands": {"users": users},
    })  # fmt: skip
