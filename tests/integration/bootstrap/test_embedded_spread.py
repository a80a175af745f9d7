"""The embedded default runs the spread workflow in simulated mode on BTCUSDT: books flow in, nothing is traded at the
venue, and ``/spreads`` answers; ``spread.enabled: false`` leaves it out (no routes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.http_api import call
from tests.support.waiting import eventually
from tradewind.bootstrap.embedded import build_embedded
from tradewind.settings import Settings


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "logging": {"to_database": False},
            "http": {"port": 0},
            "simulator": {"step_interval_ms": 20},
            **extra,
        }
    )


async def test_the_default_follows_the_btc_group_in_simulated_mode(tmp_path: Path) -> None:
    system = build_embedded(_settings(tmp_path), console_logging=False, serve_exchange=False)
    await system.start()
    try:
        assert system.spread is not None
        signal = system.spread.signal

        async def books() -> int:
            return signal.stats.books

        await eventually(books, lambda seen: seen >= 20)
        assert {ref.category.value for ref in signal.groups.members("BTCUSDT")} == {"spot", "linear"}
        status, body = await call("GET", f"{system.http_url}/spreads", token=system.api_token.value)
        assert status == 200 and body["mode"] == "simulated"
        venue = system.platform.venue
        assert venue is not None
        account = venue.account("tradewind-demo-key")
        assert account is not None and not [e for e in account.executions if e.order_link_id.startswith("sp")]
    finally:
        await system.stop()


async def test_turned_off_it_neither_runs_nor_serves(tmp_path: Path) -> None:
    system = build_embedded(_settings(tmp_path, spread={"enabled": False}), console_logging=False, serve_exchange=False)
    await system.start()
    try:
        assert system.spread is None
        status, _ = await call("GET", f"{system.http_url}/exposure", token=system.api_token.value)
        assert status == 404
    finally:
        await system.stop()
