"""The dashboard on loopback: the page and its static files with their types, nothing from another site, the live
stream's content (coalesced per topic), actions refused without the token, and a stop that ends open streams."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.support.http_api import TOKEN, api_access, command_gate
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.ports.repositories import LogRecord
from tradewind.interfaces.http import HttpServer, create_http_app
from tradewind.interfaces.http.dashboard import CONTENT_TYPES

# A reference that would make the browser fetch from another site: src/href/url()/import/fetch of an absolute URL.
REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|from\s*["']https?:|"""
    r"""import\(\s*["']https?:|fetch\(\s*["']https?:|new\s+EventSource\(\s*["']https?:""",
    re.I,
)
BOOK = {
    "exchange": "sim",
    "category": "spot",
    "symbol": "BTCUSDT",
    "matching_key": "",
    "seq": 1,
    "ts_ns": 1,
    "bids": [["100", "1"]],
    "asks": [["101", "2"]],
}


@dataclass
class Site:
    url: str
    bus: InMemoryBus
    server: HttpServer
    logs: SqlLogRepository


@pytest.fixture
async def site(sqlite_database: Database) -> AsyncIterator[Site]:
    bus = InMemoryBus()
    await bus.start()
    market_data = MarketDataService(bus, WallClock(), {})
    commands = CommandService(market_data=market_data, default_exchange="sim")
    logs = SqlLogRepository(sqlite_database)
    app = create_http_app(commands, api_access(), command_gate(commands), bus, logs)
    server = HttpServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        yield Site(f"http://127.0.0.1:{server.port}", bus, server, logs)
    finally:
        await server.stop()
        await market_data.close()
        await bus.close()


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def _events(resp: aiohttp.ClientResponse, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` server-sent events of the stream: (event name, decoded data)."""
    found: list[tuple[str, dict[str, Any]]] = []
    name = ""
    while len(found) < count:
        line = (await resp.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            found.append((name, json.loads(line.removeprefix("data: "))))
    return found


async def test_the_page_and_every_static_file_are_served_with_their_types(site: Site) -> None:
    status, media, html = await _get(site.url + "/")
    assert status == 200 and media.startswith("text/html")
    linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {"/static/app.js", "/static/app.css", "/static/vendor/uPlot.iife.min.js"} <= set(linked)
    for name, expected in CONTENT_TYPES.items():
        status, media, _ = await _get(f"{site.url}/static/{name}")
        assert (status, media) == (200, expected), name


@pytest.mark.parametrize("name", ["../app.py", "..%2F..%2Fsettings.py", "nothing.js", "__init__.py", "vendor/"])
async def test_only_the_listed_static_files_are_served(site: Site, name: str) -> None:
    status, _, _ = await _get(f"{site.url}/static/{name}")
    assert status == 404


async def test_no_served_file_loads_anything_from_another_site(site: Site) -> None:
    for path in ["/", *(f"/static/{name}" for name in CONTENT_TYPES)]:
        _, _, text = await _get(site.url + path)
        assert REMOTE.search(text) is None, f"{path}: {REMOTE.search(text)}"


async def test_the_vendored_chart_library_ships_with_its_licence(site: Site) -> None:
    _, _, licence = await _get(site.url + "/static/vendor/uPlot.LICENSE")
    assert "MIT License" in licence or "Permission is hereby granted" in licence


async def test_the_stream_says_hello_then_carries_bus_messages_with_their_topic(site: Site) -> None:
    async with aiohttp.ClientSession() as http, http.get(site.url + "/events") as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        [(name, hello)] = await _events(resp, 1)
        assert name == "hello" and "md.#" in hello["patterns"]
        await site.bus.publish("md.book.sim.spot.BTCUSDT", BOOK)
        await site.bus.publish("commands.audit", {"not": "shown"})  # outside the dashboard's patterns
        name, batch = (await _events(resp, 1))[0]
        while name != "bus":  # a beat may come first on a slow machine
            name, batch = (await _events(resp, 1))[0]
        assert [e["topic"] for e in batch["events"]] == ["md.book.sim.spot.BTCUSDT"]
        assert batch["events"][0]["payload"] == BOOK


async def test_the_stream_keeps_only_the_newest_message_of_a_topic_between_flushes(site: Site) -> None:
    async with aiohttp.ClientSession() as http, http.get(site.url + "/events") as resp:
        await _events(resp, 1)
        for seq in range(1, 51):
            await site.bus.publish("md.book.sim.spot.BTCUSDT", {**BOOK, "seq": seq})
        await site.bus.publish("twap.event", {"job_id": "j1"})
        seen: dict[str, list[Any]] = {}
        while seen.get("md.book.sim.spot.BTCUSDT", [None])[-1] != 50 or "twap.event" not in seen:
            name, data = (await _events(resp, 1))[0]
            for event in data.get("events", []) if name == "bus" else []:
                seen.setdefault(event["topic"], []).append(event["payload"].get("seq"))
        assert len(seen["md.book.sim.spot.BTCUSDT"]) < 50  # intermediate books were dropped, the last one kept


async def test_the_page_and_stream_need_no_token_on_loopback_but_actions_do(site: Site) -> None:
    assert (await _get(site.url + "/"))[0] == 200
    async with aiohttp.ClientSession() as http:
        async with http.post(site.url + "/commands", json={"text": "status"}) as resp:
            assert resp.status == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with http.post(site.url + "/commands", json={"text": "status"}, headers=headers) as resp:
            assert resp.status == 200


async def test_stopping_the_server_ends_an_open_stream(site: Site) -> None:
    async with aiohttp.ClientSession() as http, http.get(site.url + "/events") as resp:
        await _events(resp, 1)
        await asyncio.wait_for(site.server.stop(), 30)  # without ending the stream uvicorn would wait for ever
        rest = await asyncio.wait_for(resp.content.read(), 30)
        assert b"event: bus" not in rest
    assert (await asyncio.wait_for(_refused(site.url), 30)) is True


async def test_recent_logs_come_newest_first_and_filter_by_level(site: Site) -> None:
    now = time.time_ns()
    old = LogRecord(now - 3600 * 10**9, "error", "long.ago", "t")  # outside the panel's window
    recent = [LogRecord(now - (10 - i) * 10**9, level, f"e{i}", "t") for i, level in enumerate(["info", "error"] * 3)]
    await site.logs.add([old, *recent])
    status, _, text = await _get(site.url + "/logs?limit=4")
    assert status == 200
    assert [r["event"] for r in json.loads(text)] == ["e5", "e4", "e3", "e2"]
    _, _, text = await _get(site.url + "/logs?level=ERROR")
    assert [r["event"] for r in json.loads(text)] == ["e5", "e3", "e1"]
    assert (await _get(site.url + "/logs?limit=0"))[0] == 422


async def _refused(url: str) -> bool:
    try:
        await _get(url + "/")
    except aiohttp.ClientConnectionError:
        return True
    return False
