"""The price chart's open candle in headless Chromium: the dashboard served in process over the in-memory bus, the
recorder and the chart's candle feed (following every market, on a simulated clock the test moves past the minute),
trades published by the test. Zoomed out, the last candle's close, high and low follow each streamed trade before
its minute ends, and the closed candle (``md.candle``) then replaces it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.support.bus import collector
from tests.support.http_api import api_access, command_gate
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.recorder import MarketDataRecorder
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import CANDLE
from tradewind.application.ports.bus import Message
from tradewind.application.signals.candles import CandleFeed
from tradewind.domain.candles import MINUTE_MS
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.values import Category, Side
from tradewind.interfaces.http import HttpServer, create_http_app

from .test_dashboard_browser import CHROMIUM, STEP_MS, WIDE

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: make test installs it")
REF = InstrumentRef("bybit", Category.SPOT, "BTCUSDT")  # any market on the bus: no simulator, no strategy
LAST = "() => { const c = document.querySelector('#price-chart').dataset.lastCandle; return c ? JSON.parse(c) : null; }"


@dataclass
class Site:
    url: str
    bus: InMemoryBus
    clock: SimClock  # the candle feed's: the minute closes when the test moves it
    candles: list[Message]


@pytest.fixture
async def site(sqlite_database: Database) -> AsyncIterator[Site]:
    bus = InMemoryBus()
    await bus.start()
    clock = SimClock(time.time_ns())
    market = SqlMarketDataRepository(sqlite_database)
    recorder = MarketDataRecorder(bus, market, WallClock())
    feed = CandleFeed(bus, clock, close_delay_s=1)
    feed.track_every(1)
    market_data = MarketDataService(bus, WallClock(), {})
    commands = CommandService(market_data=market_data, default_exchange="bybit")
    app = create_http_app(commands, api_access(), command_gate(commands), bus, None, market=market)
    server = HttpServer(app, "127.0.0.1", 0)
    candles, on_candle = collector()
    await bus.subscribe("md.candle.#", on_candle)
    await recorder.start()
    await feed.start()
    port = await server.start()
    try:
        yield Site(f"http://127.0.0.1:{port}", bus, clock, candles)
    finally:
        await server.stop()
        await feed.stop()
        await recorder.stop()
        await market_data.close()
        await bus.close()


async def _last_candle_after(page: Page, site: Site, price: str, ts_ns: int, n: int) -> dict[str, Any]:
    """Publishes one trade, then waits for the chart's last candle to show it as its close."""
    tick = TradeTick(REF, f"t{n}", Decimal(price), Decimal("0.5"), Side.BUY, ts_ns)
    await site.bus.publish(REF.topic("trade"), TRADE.encode(tick))
    shown = f"() => {{ const c = ({LAST})(); return c !== null && c.close === {float(price)}; }}"
    await page.wait_for_function(shown)
    return await page.evaluate(LAST)  # type: ignore[no-any-return]


async def test_the_open_candle_moves_with_each_trade_and_the_closed_candle_replaces_it(
    site: Site, tmp_path: Path
) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport=WIDE)
            page.set_default_timeout(STEP_MS)
            await page.goto(site.url + "/")
            await expect(page.locator("#conn")).to_have_text("live")
            await page.select_option("#window", "60")  # zoomed out: one-minute candles

            # Every trade inside one minute (the feed's clock, not the wall's, decides when it closes). The server
            # builds the open candle of the wall clock's minute from the recorded trades, and the page may take the
            # first trade only from there (it picks the instrument on that trade): the feed's clock is brought to the
            # wall's, in a minute with room left for the four trades.
            into_minute_s = time.time() % 60
            if into_minute_s > 30:
                await asyncio.sleep(60.2 - into_minute_s)
            await site.clock.advance_to(max(site.clock.now_ns(), time.time_ns()))
            start_ms = site.clock.now_ms() // MINUTE_MS * MINUTE_MS
            at = [(start_ms + 1000 * (i + 1)) * 1_000_000 for i in range(4)]
            first = await _last_candle_after(page, site, "100", at[0], 0)
            await expect(page.locator("#instrument")).to_have_value("bybit/spot/BTCUSDT")
            assert first == {
                "start_ms": start_ms, "open": 100, "high": 100, "low": 100, "close": 100, "provisional": True
            }  # fmt: skip
            up = await _last_candle_after(page, site, "104", at[1], 1)
            assert (up["start_ms"], up["high"], up["low"], up["close"], up["provisional"]) == (
                start_ms, 104, 100, 104, True
            )  # fmt: skip
            down = await _last_candle_after(page, site, "97", at[2], 2)
            assert (down["open"], down["high"], down["low"], down["close"]) == (100, 104, 97, 97)
            back = await _last_candle_after(page, site, "101.5", at[3], 3)
            assert (back["high"], back["low"], back["close"], back["provisional"]) == (104, 97, 101.5, True)
            await page.screenshot(path=str(tmp_path / "open-candle.png"))

            # The minute ends: the feed publishes the closed candle and the chart's last candle becomes it.
            await site.clock.advance((start_ms + MINUTE_MS + 1500) / 1000 - site.clock.now_ns() / 1e9)
            await wait_for(lambda: len(site.candles) == 1)
            (message,) = site.candles
            closed = CANDLE.decode(message.payload)
            assert (closed.open, closed.high, closed.low, closed.close, closed.trades) == (
                Decimal(100), Decimal(104), Decimal(97), Decimal("101.5"), 4
            )  # fmt: skip
            await page.wait_for_function(f"() => ({LAST})()?.provisional === false")
            assert await page.evaluate(LAST) == {
                "start_ms": start_ms, "open": 100, "high": 104, "low": 97, "close": 101.5, "provisional": False
            }  # fmt: skip

            # A trade of the next minute opens the next candle; the closed one stays as it closed.
            await _last_candle_after(page, site, "102", (start_ms + MINUTE_MS + 2000) * 1_000_000, 4)
            rows = json.loads(await page.locator("#price-chart").get_attribute("data-candles") or "0")
            assert rows == 2
            assert (await page.evaluate(LAST))["start_ms"] == start_ms + MINUTE_MS
        finally:
            await browser.close()
