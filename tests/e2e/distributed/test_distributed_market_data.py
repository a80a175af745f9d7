"""The market-data workflow as separate OS processes: sim-exchange publishes md.* over RabbitMQ, storage records it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .distributed_support import StartService, counts, get, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

TABLES = {"md.trade": "market_trades", "md.mid": "market_mids", "md.book": "book_snapshots"}


async def test_sim_exchange_and_storage_processes_store_every_published_event(
    start_service: StartService, schema_tables: Callable[[str], int]
) -> None:
    storage = await start_service("storage")  # first: its durable queue must exist before anything is published
    storage_url = storage.event("service.ready")["health_url"]
    exchange = await start_service("sim-exchange")
    exchange_url = exchange.event("service.ready")["health_url"]

    for url in (storage_url, exchange_url):
        for path in ("/healthz", "/readyz"):
            status, body = await get(url + path)
            assert status == 200, f"{url}{path}: {body}"
    published = await until(
        lambda: counts(exchange_url, "tradewind_messages_out_total"),
        lambda c: all(c.get(kind, 0) >= 10 for kind in TABLES),
        "the sim-exchange publishing trades, mids and books",
    )
    assert published
    status, page = await get(storage_url + "/metrics")
    assert 'tradewind_queue_lag_messages{queue="storage.md"}' in page
    assert 'tradewind_service_up{service="storage"} 1.0' in page

    assert await exchange.terminate() == 0
    sent = (await exchange.wait_event("service.stopped"))["sent"]
    await until(
        lambda: counts(storage_url, "tradewind_messages_in_total"),
        lambda c: all(c.get(kind, 0) >= sent[kind] for kind in TABLES),
        "the storage service consuming everything published",
    )
    assert await storage.terminate() == 0
    received = (await storage.wait_event("service.stopped"))["received"]

    assert received == sent
    assert {kind: schema_tables(table) for kind, table in TABLES.items()} == {kind: sent[kind] for kind in TABLES}


async def test_storage_restart_resumes_from_its_durable_queue(
    start_service: StartService, schema_tables: Callable[[str], int]
) -> None:
    storage = await start_service("storage")
    exchange = await start_service("sim-exchange")
    exchange_url = exchange.event("service.ready")["health_url"]
    await until(
        lambda: counts(exchange_url, "tradewind_messages_out_total"), lambda c: c.get("md.trade", 0) >= 5, "trades"
    )
    assert await storage.terminate() == 0  # the exchange keeps publishing into the queue meanwhile
    await until(
        lambda: counts(exchange_url, "tradewind_messages_out_total"),
        lambda c: c.get("md.trade", 0) >= 20,
        "more trades",
    )
    restarted = await start_service("storage")
    assert await exchange.terminate() == 0
    sent = (await exchange.wait_event("service.stopped"))["sent"]
    restarted_url = restarted.event("service.ready")["health_url"]
    await until(
        lambda: counts(restarted_url, "tradewind_messages_in_total"),
        lambda c: sum(c.values()) + sum(storage.event("service.stopped")["received"].values()) >= sum(sent.values()),
        "the restarted storage service draining the queue",
    )
    assert await restarted.terminate() == 0
    assert {kind: schema_tables(table) for kind, table in TABLES.items()} == {kind: sent[kind] for kind in TABLES}
