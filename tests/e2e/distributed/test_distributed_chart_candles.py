"""The price chart's candles in distributed mode: ``md.trade`` of a simulated market published on RabbitMQ becomes a
one-minute candle published by the ``market-data`` service alone (a ``producer`` trading that market leaves it
unpublished), recorded by ``storage`` in PostgreSQL and answered by the ``gateway``'s ``/candles``.

A candle closes on the wall clock, a second after its minute: the test waits for up to that minute."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import CANDLE
from tradewind.application.ports.bus import Message
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.values import Category, Side

from .distributed_support import WAIT, StartService, get, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
D = Decimal
CHARTED = InstrumentRef("sim", Category.LINEAR, "BTCUSDT")  # a simulated market of the default config
OTHER = InstrumentRef("elsewhere", Category.SPOT, "BTCUSDT")  # traded by a strategy, simulated by no one
# The producer runs a strategy on each; the charted one first, so its feed closes that candle before the other.
CONFIG = (
    "mode: distributed\nstrategies:\n"
    "  - {id: trend-sim, name: trend, exchange: sim, category: linear, symbol: BTCUSDT, amount_quote: '100'}\n"
    "  - {id: trend-other, name: trend, exchange: elsewhere, category: spot, symbol: BTCUSDT, amount_quote: '100'}\n"
)
CHARTED_TOPIC, OTHER_TOPIC = CHARTED.topic("candle") + ".1", OTHER.topic("candle") + ".1"
PRICES = (("100", "0.01"), ("104", "0.02"), ("99", "0.03"))


@pytest.fixture
async def broker(service_env: dict[str, str]) -> AsyncIterator[RabbitMqBus]:
    bus = RabbitMqBus(RabbitMqSettings(url=service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]))
    await bus.start()
    yield bus
    await bus.close()


async def test_market_data_alone_publishes_the_charts_candles_that_storage_records_and_the_gateway_answers(
    start_service: StartService, service_env: dict[str, str], tmp_path: Path, broker: RabbitMqBus
) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text(CONFIG)
    candles: list[Message] = []

    async def on_candle(message: Message) -> None:
        candles.append(message)

    await broker.subscribe("md.candle.#", on_candle)
    await start_service("storage", "-c", str(config))  # migrates; binds storage.md to md.candle.# too
    market_data = await start_service("market-data", "-c", str(config))
    producer = await start_service("producer", "-c", str(config))
    gateway = await start_service("gateway", "-c", str(config))
    api = (await gateway.wait_event("gateway.http_listening"))["url"]

    at_ns = time.time_ns()  # every trade at this instant: one minute, whenever the minute turns
    for ref in (CHARTED, OTHER):
        for n, (price, qty) in enumerate(PRICES):
            tick = TradeTick(ref, f"{ref.exchange}-{n}", D(price), D(qty), Side.BUY, at_ns)
            await broker.publish(ref.topic("trade"), TRADE.encode(tick))
    start_ms = at_ns // 1_000_000 // MINUTE_MS * MINUTE_MS

    async def stored() -> list[dict[str, Any]]:
        status, body = await get(api + "/candles?exchange=sim&category=linear&symbol=BTCUSDT&interval=1")
        assert status == 200, body
        return json.loads(body)  # type: ignore[no-any-return]

    (row,) = await until(stored, bool, "the charted candle on /candles", wait=MINUTE_MS / 1000 + WAIT)  # its minute
    assert row["start_ms"] == start_ms
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"], row["trades"]) == (
        "100", "104", "99", "99", "0.06", 3
    )  # fmt: skip
    assert D(row["turnover"]) == D("100") * D("0.01") + D("104") * D("0.02") + D("99") * D("0.03")

    # The producer closes the charted market's candle before the other's, and publishes in order: once the other
    # market's candle has arrived, a second candle of the charted market would have arrived before it.
    async def seen() -> dict[str, list[Candle]]:
        found: dict[str, list[Candle]] = {}
        for message in candles:
            found.setdefault(message.topic, []).append(CANDLE.decode(message.payload))
        return found

    topics = await until(seen, lambda t: {CHARTED_TOPIC, OTHER_TOPIC} <= set(t), "both markets' candles")
    charted = topics[CHARTED_TOPIC]
    assert [c.start_ms for c in charted] == [start_ms]  # published once: by market-data, not again by the producer
    assert charted[0].close == D("99")
    assert [c.start_ms for c in topics[OTHER_TOPIC]] == [start_ms]
    assert await producer.terminate() == 0
    assert await market_data.terminate() == 0
