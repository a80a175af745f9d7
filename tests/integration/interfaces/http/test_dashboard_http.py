"""The dashboard on loopback: the page and its static files with their types, nothing from another site, the live
stream's content (market data coalesced per topic, signals and other events each sent), actions refused without the
token, a stop that ends open streams, the stored candles (``/candles``) and the system's state (``/system``)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.http_api import TOKEN, api_access, command_gate
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.application.commands import CommandService
from tradewind.application.lifecycle import Component, Runner
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.messages.notices import declare_notice_queue
from tradewind.application.messages.signals import SIGNAL
from tradewind.application.ports.repositories import LogRecord
from tradewind.application.system import RunnerStatus
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.signals.signal import Action
from tradewind.domain.values import Category, Side
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
    market: SqlMarketDataRepository


@pytest.fixture
async def site(sqlite_database: Database) -> AsyncIterator[Site]:
    bus = InMemoryBus()
    await bus.start()
    await bus.declare_queue("signal.trade.#", "trader.signals")  # a queue nobody consumes yet: its backlog shows
    market_data = MarketDataService(bus, WallClock(), {})
    commands = CommandService(market_data=market_data, default_exchange="sim")
    logs = SqlLogRepository(sqlite_database)
    market = SqlMarketDataRepository(sqlite_database)
    runner = Runner("site", [Component("well"), Component("sick", health=lambda: "lost its socket")])
    status = RunnerStatus(bus.backlog, runner)
    app = create_http_app(commands, api_access(), command_gate(commands), bus, logs, market=market, system=status)
    server = HttpServer(app, "127.0.0.1", 0)
    await runner.start()
    await server.start()
    try:
        yield Site(f"http://127.0.0.1:{server.port}", bus, server, logs, market)
    finally:
        await server.stop()
        await runner.stop()
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


async def test_every_signal_reaches_the_page_in_order_even_two_on_one_topic_in_one_flush(site: Site) -> None:
    first = signal(Action.BUY, sid="s1", exchange="sim", category=Category.SPOT)
    second = signal(Action.SELL, sid="s2", exchange="sim", category=Category.SPOT)
    async with aiohttp.ClientSession() as http, http.get(site.url + "/events") as resp:
        await _events(resp, 1)
        for sent in (first, second):  # both on signal.trade.sim.spot.BTCUSDT, well inside one 250 ms flush
            await site.bus.publish(sent.topic(), SIGNAL.encode(sent))
        got: list[dict[str, Any]] = []
        while len(got) < 2:
            name, data = (await _events(resp, 1))[0]
            got += [e for e in data.get("events", []) if name == "bus" and e["topic"].startswith("signal.")]
    assert [e["topic"] for e in got] == [first.topic()] * 2
    assert [e["payload"]["signal_id"] for e in got] == ["s1", "s2"]
    assert got[0]["payload"]["amount_quote"] == "1000"  # decimals stay strings


def _candle(start_ms: int, close: str, symbol: str = "BTCUSDT") -> Candle:
    ref = InstrumentRef("sim", Category.SPOT, symbol)
    price = Decimal(close)
    return Candle(ref, 1, start_ms, price - 1, price + 2, price - 3, price, Decimal("0.5"), price / 2, 3)


async def test_candles_come_newest_limit_oldest_first_with_decimal_strings(site: Site) -> None:
    # The handler's window ends at its own clock's minute: if the minute turns between writing and reading, the newest
    # of these is a minute older there and one of the three falls out of the window. Then again, anew.
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        minute = time.time_ns() // 1_000_000 // MINUTE_MS * MINUTE_MS
        await site.market.add_candles([_candle(minute - (5 - i) * MINUTE_MS, f"100.{i}", symbol) for i in range(5)])
        query = f"/candles?exchange=sim&category=spot&symbol={symbol}&interval=1"
        status, _, text = await _get(site.url + query + "&limit=3")
        if time.time_ns() // 1_000_000 // MINUTE_MS * MINUTE_MS == minute:
            break
    assert status == 200
    rows = json.loads(text)
    assert [r["close"] for r in rows] == ["100.2", "100.3", "100.4"]
    assert rows[-1] == {
        "exchange": "sim", "category": "spot", "symbol": symbol, "matching_key": "", "interval": 1,
        "start_ms": minute - MINUTE_MS, "open": "99.4", "high": "102.4", "low": "97.4", "close": "100.4",
        "volume": "0.5", "turnover": "50.2", "trades": 3,
    }  # fmt: skip
    assert json.loads((await _get(site.url + query.replace("=1", "=5", 1) + "&limit=3"))[2]) == []  # none of 5 min


async def test_include_open_adds_the_candle_under_way_from_this_minutes_recorded_trades(site: Site) -> None:
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):  # the minute may turn between writing and reading: again, anew
        ref, query = InstrumentRef("sim", Category.SPOT, symbol), f"/candles?exchange=sim&category=spot&symbol={symbol}"
        minute = time.time_ns() // 1_000_000 // MINUTE_MS * MINUTE_MS
        await site.market.add_candles([_candle(minute - (3 - i) * MINUTE_MS, f"100.{i}", symbol) for i in range(3)])
        prices = ("101", "103", "100.5")
        ticks = [TradeTick(ref, f"o{minute}-{i}", Decimal(p), Decimal("0.25"), Side.BUY, (minute + i) * 10**6)
                 for i, p in enumerate(prices)]  # fmt: skip
        await site.market.add_trades(ticks)
        rows = json.loads((await _get(site.url + query + "&interval=1&limit=3&include_open=true"))[2])
        five = json.loads((await _get(site.url + query + "&interval=5&include_open=true"))[2])
        if time.time_ns() // 1_000_000 // MINUTE_MS * MINUTE_MS == minute:
            break
    assert [r["close"] for r in rows] == ["100.1", "100.2", "100.5"]  # the open one counts in the limit
    assert "provisional" not in rows[0]
    shown = ("start_ms", "open", "high", "low", "close", "volume", "trades", "provisional")
    assert {k: rows[-1][k] for k in shown} == {
        "start_ms": minute, "open": "101", "high": "103", "low": "100.5", "close": "100.5", "volume": "0.75",
        "trades": 3, "provisional": True,
    }  # fmt: skip
    # Five minutes: this minute's trades and the stored one-minute candles of the period before it (3 trades each).
    period = minute - minute % (5 * MINUTE_MS)
    earlier = sum(1 for i in range(3) if minute - (3 - i) * MINUTE_MS >= period)
    assert (five[-1]["start_ms"], five[-1]["trades"], five[-1]["provisional"]) == (period, 3 + 3 * earlier, True)
    closed = json.loads((await _get(site.url + query + "&interval=1&limit=3"))[2])
    assert [Decimal(r["close"]) for r in closed] == [Decimal("100.0"), Decimal("100.1"), Decimal("100.2")]  # stored


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("exchange=sim&category=spot&symbol=BTCUSDT&include_open=maybe", "include_open"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&interval=7", "interval"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&interval=1.5", "interval"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&limit=0", "limit"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&limit=ten", "limit"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&limit=1e30", "limit"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&limit=NaN", "limit"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&limit=Infinity", "limit"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&limit=1_0", "limit"),
        ("exchange=sim&category=spot&symbol=BTCUSDT&interval=NaN", "interval"),
        ("exchange=sim&category=bonds&symbol=BTCUSDT", "category"),
        ("exchange=sim&category=spot&symbol=btc-usdt", "symbol"),
        ("category=spot&symbol=BTCUSDT", "exchange"),
    ],
)
async def test_candles_refuse_bad_parameters_with_a_422_naming_them(site: Site, query: str, named: str) -> None:
    status, media, text = await _get(f"{site.url}/candles?{query}")
    assert (status, media) == (422, "application/json")
    assert named in json.loads(text)["detail"]


async def test_system_lists_components_with_health_queues_and_message_rates(site: Site) -> None:
    await site.bus.publish(signal().topic(), SIGNAL.encode(signal()))  # waits in trader.signals: nobody consumes it
    async with aiohttp.ClientSession() as http, http.get(site.url + "/events") as resp:
        await _events(resp, 1)
        await site.bus.publish("md.book.sim.spot.BTCUSDT", BOOK)
        while True:
            status, _, text = await _get(site.url + "/system")
            system = json.loads(text)
            if "md.book" in system["last"]:
                break
            await asyncio.sleep(0.05)
    assert status == 200 and system["mode"] == "embedded" and system["pages"] == 1
    assert system["services"] == [
        {"name": "well", "ready": True, "detail": ""},
        {"name": "sick", "ready": False, "detail": "lost its socket"},
    ]
    assert {"queue": "trader.signals", "depth": 1, "detail": ""} in system["queues"]
    assert set(system["rates"]) == {"md.book"}  # what the hub received while a page was connected
    assert system["rates"]["md.book"] >= 0


async def test_system_lists_the_telegram_notices_piling_up_while_no_bot_reads_them(site: Site) -> None:
    status, _, text = await _get(site.url + "/system")
    assert status == 200 and "telegram.notices" not in {q["queue"] for q in json.loads(text)["queues"]}
    await declare_notice_queue(site.bus, "telegram.notices")  # what the embedded system does when it runs the bot
    for n in range(3):
        await site.bus.publish("trade.event.opened", {"n": n})
    status, _, text = await _get(site.url + "/system")
    assert {"queue": "telegram.notices", "depth": 3, "detail": ""} in json.loads(text)["queues"]


async def _refused(url: str) -> bool:
    try:
        await _get(url + "/")
    except aiohttp.ClientConnectionError:
        return True
    return False
