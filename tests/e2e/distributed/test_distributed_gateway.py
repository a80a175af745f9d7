"""The HTTP API in distributed mode: the gateway process reaches the market-data process over RabbitMQ.

The venue is a ``tradewind sim-exchange`` process reached as a Bybit ``sim-server`` entry; the storage process
records the md.book events the market-data process publishes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_api import TOKEN, call

from .distributed_support import CREDENTIALS, StartService, sim_exchange, simsrv_config, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

MARKET = {"exchange": "simsrv", "category": "spot", "symbol": "BTCUSDT", "matching_key": "btc", "depth": 50}


@pytest.fixture
async def config(tmp_path: Path, service_env: dict[str, str]) -> AsyncIterator[Path]:
    """A ``tradewind sim-exchange`` process and the services' YAML naming it as the ``simsrv`` Bybit entry."""
    service_env.update(CREDENTIALS, TRADEWIND_HTTP__TOKEN=TOKEN)
    async with sim_exchange(tmp_path) as port:
        path = tmp_path / "tw.yaml"
        simsrv_config(path, port)
        yield path


async def test_gateway_subscribes_through_the_market_data_process_and_its_books_are_recorded(
    start_service: StartService, config: Path, schema_tables: Callable[[str], int]
) -> None:
    await start_service("storage")  # migrates, and records md.* from its durable queue
    market_data = await start_service("market-data", "-c", str(config))
    gateway = await start_service("gateway", "-c", str(config))
    api = (await gateway.wait_event("gateway.http_listening"))["url"]

    assert await call("GET", f"{api}/subscriptions", token=None) == (200, [])  # reads open on loopback
    assert (await call("POST", f"{api}/subscribe", MARKET, token=None))[0] == 401
    status, refused = await call("POST", f"{api}/subscribe", {**MARKET, "exchange": "kraken"})
    assert status == 400 and "no market-data stream for exchange 'kraken'" in refused["detail"]
    status, missing = await call("POST", f"{api}/unsubscribe", MARKET)
    assert status == 404 and "not subscribed" in missing["detail"]

    status, created = await call("POST", f"{api}/subscribe", MARKET)
    assert status == 200 and (created["exchange"], created["depth"]) == ("simsrv", 50)

    async def listing() -> list[dict[str, Any]]:
        return (await call("GET", f"{api}/subscriptions"))[1]  # type: ignore[no-any-return]

    (row,) = await until(listing, lambda rows: len(rows) == 1 and rows[0]["synced"], "the subscription in sync")
    assert (row["symbol"], row["matching_key"], row["updates"] >= 1) == ("BTCUSDT", "btc", True)

    async def books() -> int:
        return schema_tables("book_snapshots")

    await until(books, lambda n: n > 0, "md.book events recorded by the storage process")
    assert (await call("POST", f"{api}/unsubscribe", MARKET))[0] == 200
    assert await listing() == []
    assert await gateway.terminate() == 0
    assert await market_data.terminate() == 0
