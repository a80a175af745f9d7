"""The dashboard in headless Chromium (Debian's ``chromium``, driven by Playwright) against ``tradewind run`` on
loopback: the book updates live, the command box runs commands, a TWAP started from the page progresses and is
cancelled through the confirmation, the System panel lists the components with their health, the price chart zoomed
out draws the stored one-minute candles, and stopping the server shows "connection lost". Screenshots go to
tmp_path."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, ViewportSize, async_playwright, expect

CHROMIUM = Path(os.environ.get("TRADEWIND_TEST_CHROMIUM", "/usr/bin/chromium"))
CONFIG = """
storage:
  url: sqlite:///{db}
logging:
  format: json
  to_database: false
simulator:
  seed: 5
sim_exchange:
  port: 0
http:
  port: 0
"""
BANNER = r"HTTP API on (\S+) \(OpenAPI at \S+/docs\)\. Token for this run: (\S+) "
WIDE: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
STEP_MS = 20_000  # the longest any one step may take before the test fails (not a measured figure)
CANDLE_MS = 120_000  # the first one-minute candle closes a minute after the first trade at the latest, plus a second

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: make test installs it")


@dataclass
class Running:
    proc: asyncio.subprocess.Process
    url: str
    token: str


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    config = tmp_path / "tradewind.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "tw.db"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")} | {"PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradewind", "run", "--headless", "--config", str(config),
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(60):
            while not (found := re.search(BANNER, (line := await proc.stderr.readline()).decode())):
                assert line, "tradewind run ended before printing its URL"
        drain = asyncio.create_task(_drain(proc.stderr))  # a full pipe would block the system's logging
        yield Running(proc, found[1], found[2])
        drain.cancel()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_the_dashboard_live_commands_twap_and_connection_lost(
    running: Running, browser: Browser, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport=WIDE)
    page.set_default_timeout(STEP_MS)
    await page.goto(running.url + "/")
    await expect(page.locator("#conn")).to_have_text("live")

    # The book ladder fills from the stream and keeps changing.
    ladder = page.locator("#book tbody")
    await expect(ladder.locator("tr.bid").first).to_be_visible()
    first = await ladder.inner_text()
    await page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old", arg=["#book tbody", first]
    )

    # The spot/perp spread of the BTC group (BTCUSDT spot and linear share a matching key) from their live mids.
    await expect(page.locator("#groups tbody tr").first).to_contain_text("BTCUSDT")

    # The token, entered once, stays for the session; the command box runs commands with it.
    await page.fill("#token", running.token)
    await page.click("#token-form button")
    await expect(page.locator("#token-state")).to_have_text("token set")
    await page.fill("#command", "positions")
    await page.press("#command", "Enter")
    await expect(page.locator("#command-output")).to_contain_text("> positions\n200")

    # A trade typed in the box opens at the venue and shows in the positions table (GET /trades).
    await page.fill("#command", "buy btc 80 -tsl 2.8")
    await page.press("#command", "Enter")
    await expect(page.locator("#command-output")).to_contain_text("> buy btc 80 -tsl 2.8\n200")
    await expect(page.locator("#positions")).to_contain_text("BTCUSDT")

    # A TWAP started from the box shows progress; cancel asks for confirmation, then cancels it.
    await page.fill("#command", "twap buy btc 0.06 over 1m slices 6 --id web1")
    await page.press("#command", "Enter")
    await expect(page.locator("#command-output")).to_contain_text("200")
    row = page.locator('#twap-jobs tr[data-job="web1"]')
    await expect(row.locator(".status")).to_have_text("running")
    progress = """() => { const p = document.querySelector('#twap-jobs tr[data-job="web1"] progress');
                              return p !== null && p.value > 0; }"""
    await page.wait_for_function(progress)
    await page.screenshot(path=str(tmp_path / "dashboard-1280x800.png"))
    await row.locator('button[data-act="cancel"]').click()
    await expect(page.locator("#confirm-box")).to_be_visible()
    await page.click("#confirm-button")
    await expect(row.locator(".status")).to_have_text("cancelled")

    # The System panel: every component of the running system with its health, the bus queues, messages per second.
    await expect(page.locator("#mode")).to_have_text("embedded")
    services = page.locator("#services tbody")
    for component in ("recorder", "http", "simulator"):
        await expect(services.locator("tr", has_text=component).first).to_contain_text("ready")
    await expect(page.locator("#rates tbody")).to_contain_text("md.book")

    # Zoomed out past five minutes the price chart draws the stored one-minute candles (GET /candles).
    await page.select_option("#window", "60")
    await page.wait_for_function(
        "() => Number(document.querySelector('#price-chart').dataset.candles) > 0", timeout=CANDLE_MS
    )
    await expect(page.locator("#price-chart")).to_have_attribute("data-series", "open · high · low · close")
    await page.screenshot(path=str(tmp_path / "dashboard-candles-1280x800.png"), full_page=True)
    await page.select_option("#window", "0")  # back to the live trades: the candles leave the chart
    await expect(page.locator("#price-chart")).to_have_attribute("data-series", "trade · mid")

    phone = await browser.new_page(viewport=PHONE)
    await phone.goto(running.url + "/")
    await expect(phone.locator("#conn")).to_have_text("live", timeout=STEP_MS)
    await expect(phone.locator("#book tbody tr.bid").first).to_be_visible(timeout=STEP_MS)
    await phone.screenshot(path=str(tmp_path / "dashboard-390.png"), full_page=True)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone: no sideways scrolling

    # Stopping the server: the page says so within 5 s.
    running.proc.send_signal(signal.SIGINT)
    await expect(page.locator("#conn")).to_have_text("connection lost", timeout=5000)
    await expect(page.locator("#lost-banner")).to_be_visible(timeout=5000)
    assert (tmp_path / "dashboard-1280x800.png").stat().st_size > 0
    assert (tmp_path / "dashboard-candles-1280x800.png").stat().st_size > 0
