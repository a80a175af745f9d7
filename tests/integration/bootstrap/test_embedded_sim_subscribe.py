"""The embedded default (build_embedded): ``POST /subscribe {"exchange": "sim"}`` keeps a synced book of the swarm."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_api import authorized_session, call
from tests.support.waiting import eventually
from tradewind.bootstrap.embedded import EmbeddedSystem, build_embedded
from tradewind.settings import Settings

BODY = {"exchange": "sim", "category": "linear", "symbol": "BTCUSDT", "matching_key": "perp", "depth": 5}


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "logging": {"to_database": False},
            "http": {"port": 0},
            "simulator": {"step_interval_ms": 20},
        }
    )
    system = build_embedded(settings, console_logging=False, serve_exchange=False)
    await system.start()
    try:
        yield system
    finally:
        await system.stop()


async def test_sim_subscription_over_http_in_the_embedded_system_syncs_and_updates(system: EmbeddedSystem) -> None:
    base = f"http://127.0.0.1:{system.http_port}"
    async with authorized_session(system.api_token.value) as http:
        async with http.post(f"{base}/subscribe", json=BODY) as resp:
            assert resp.status == 200, await resp.text()

        async def listing() -> list[dict[str, Any]]:
            async with http.get(f"{base}/subscriptions") as resp:
                return list(await resp.json())

        (row,) = await eventually(listing, lambda rows: bool(rows) and rows[0]["synced"] and rows[0]["updates"] >= 3)
    assert (row["exchange"], row["symbol"], row["matching_key"], row["stale"]) == ("sim", "BTCUSDT", "perp", False)
    assert row["resyncs"] == 0


async def test_without_a_configured_token_the_embedded_system_generates_one_and_requires_it(
    system: EmbeddedSystem,
) -> None:
    token = system.api_token
    assert token.generated and token.value is not None and len(token.value) >= 32
    assert token.value not in repr(token)
    base = system.http_url
    assert base == f"http://127.0.0.1:{system.http_port}"
    status, body = await call("POST", f"{base}/subscribe", BODY, token=None)
    assert status == 401 and "Authorization: Bearer" in body["detail"]
    assert (await call("GET", f"{base}/subscriptions", token=None)) == (200, [])  # reads open on loopback
