"""The dashboard in distributed mode: the ``gateway`` service serves the page and its files, a live stream fed from
RabbitMQ (an md event published on the broker shows on ``/events``) and ``/system`` listing the registry's services
with their readiness and the durable queues' depths read from the broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.processes import free_port
from tests.support.waiting import in_background
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.notices import declare_notice_queue
from tradewind.bootstrap.registry import available_services
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.values import Category, Side

from .distributed_support import CREDENTIALS, StartService, get, sim_exchange, simsrv_config, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
TICK = TradeTick(
    InstrumentRef("simsrv", Category.SPOT, "BTCUSDT"), "t-1", Decimal("50000.5"), Decimal("0.01"), Side.BUY, 1
)


@pytest.fixture
async def config(tmp_path: Path, service_env: dict[str, str]) -> AsyncIterator[Path]:
    service_env.update(CREDENTIALS)
    async with sim_exchange(tmp_path) as port:
        path = tmp_path / "tw.yaml"
        simsrv_config(path, port)
        with path.open("a") as f:  # a notified chat: the notices' queue is wanted, so /system lists it
            f.write("commands:\n  users:\n    - {name: ada, role: view, telegram_chats: [42]}\n")
        yield path


@contextlib.asynccontextmanager
async def publishing(url: str) -> AsyncIterator[None]:
    """Publishes the trade on the broker every 0.2 s (the gateway binds its queue when the first page connects)."""
    bus = RabbitMqBus(RabbitMqSettings(url=url))
    await bus.start()

    async def repeat() -> None:
        while True:
            await bus.publish(TICK.ref.topic("trade"), TRADE.encode(TICK))
            await asyncio.sleep(0.2)

    try:
        async with in_background(repeat()):
            yield
    finally:
        await bus.close()


async def _notices_waiting(url: str, count: int) -> None:
    """The notices' queue declared as a publishing service declares it, and ``count`` notices in it."""
    bus = RabbitMqBus(RabbitMqSettings(url=url))
    await bus.start()
    try:
        await declare_notice_queue(bus, "telegram.notices")
        for n in range(count):
            await bus.publish("trade.event.opened", {"n": n})
    finally:
        await bus.close()


async def _first_trade(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    name = ""
    while True:
        line = (await resp.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name == "bus":
            for event in json.loads(line.removeprefix("data: "))["events"]:
                if event["topic"] == TICK.ref.topic("trade"):
                    return event  # type: ignore[no-any-return]


async def test_the_gateway_serves_the_dashboard_live_from_rabbitmq_and_lists_the_services(
    start_service: StartService, service_env: dict[str, str], config: Path
) -> None:
    storage = await start_service("storage")  # migrates; its durable queue storage.md is the lag the panel shows
    storage_health = (await storage.wait_event("service.ready"))["health_url"]
    service_env["TRADEWIND_DISTRIBUTED__PORTS__STORAGE"] = storage_health.rsplit(":", 1)[1]
    service_env["TRADEWIND_DISTRIBUTED__PORTS__TRADER"] = str(free_port())  # nothing listens there
    await _notices_waiting(service_env["TRADEWIND_DISTRIBUTED__BUS__URL"], 2)  # no bot runs: they wait
    gateway = await start_service("gateway", "-c", str(config))
    api = (await gateway.wait_event("gateway.http_listening"))["url"]

    status, html = await get(api + "/")
    assert status == 200 and 'src="/static/app.js"' in html
    status, script = await get(api + "/static/app.js")
    assert status == 200 and "EventSource" in script

    async with (
        aiohttp.ClientSession() as http,
        http.get(api + "/events") as resp,
        publishing(service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]),
    ):
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        event = await asyncio.wait_for(_first_trade(resp), 60)
        assert event["payload"]["price"] == "50000.5"  # as published: a decimal string

        async def system() -> dict[str, Any]:
            return json.loads((await get(api + "/system"))[1])  # type: ignore[no-any-return]

        report = await until(system, lambda r: r["rates"].get("md.trade", 0) > 0, "the md.trade rate on /system")
    assert report["mode"] == "distributed" and report["pages"] == 1
    services = {s["name"]: s for s in report["services"]}
    assert list(services) == list(available_services())
    assert services["storage"] == {"name": "storage", "ready": True, "detail": ""}
    assert services["trader"]["ready"] is False and "unreachable" in services["trader"]["detail"]
    queues = {q["queue"]: q for q in report["queues"]}
    assert isinstance(queues["storage.md"]["depth"], int)  # read from the broker
    assert queues["trader.signals"]["depth"] is None  # the trader never ran: no queue yet
    assert queues["telegram.notices"] == {"queue": "telegram.notices", "depth": 2, "detail": ""}

    status, body = await get(api + "/candles?exchange=simsrv&category=spot&symbol=BTCUSDT&interval=1")
    assert (status, json.loads(body)) == (200, [])  # the candles table, empty: no producer runs here
    status, body = await get(api + "/candles?exchange=simsrv&category=spot&symbol=BTCUSDT&interval=2")
    assert status == 422 and "interval" in json.loads(body)["detail"]
    assert await gateway.terminate() == 0
