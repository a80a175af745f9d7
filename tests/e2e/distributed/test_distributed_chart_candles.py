"""The price chart's candles in distributed mode: ``md.trade`` of any market on RabbitMQ becomes a one-minute candle
published by the ``market-data`` service alone (a ``producer`` trading that market leaves it unpublished), recorded by
``storage`` in PostgreSQL and answered by the ``gateway``'s ``/candles``; a real-exchange market (a Bybit entry on
``tradewind sim-exchange`` over loopback) subscribed without any strategy gets them too.

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

from .distributed_support import CREDENTIALS, WAIT, StartService, get, sim_exchange, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
D = Decimal
CHARTED = InstrumentRef("sim", Category.LINEAR, "BTCUSDT")  # a simulated market of the default config
OTHER = InstrumentRef("elsewhere", Category.SPOT, "BTCUSDT")  # traded by a strategy, simulated by no one
REAL = InstrumentRef("simsrv", Category.SPOT, "BTCUSDT")  # a Bybit entry's market, subscribed, no strategy on it
# The producer runs a strategy on each; market-data publishes the one-minute candles of both.
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

    # market-data closes both markets' candles at once and the producer closes its own at the same instant: once
    # both have arrived, a second copy of either from the producer would have arrived too (one broker, one minute).
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


async def test_a_real_exchange_market_subscribed_without_a_strategy_gets_its_candles_once_from_its_every_trade(
    start_service: StartService, service_env: dict[str, str], tmp_path: Path, broker: RabbitMqBus
) -> None:
    folder = tmp_path / "exchange"
    folder.mkdir()  # the sim-exchange runs its own swarm (default config): BTCUSDT spot trades all the time
    service_env.update(CREDENTIALS)
    trades: list[TradeTick] = []
    candles: list[Candle] = []

    async def on_trade(message: Message) -> None:
        trades.append(TRADE.decode(message.payload))

    async def on_candle(message: Message) -> None:
        candles.append(CANDLE.decode(message.payload))

    await broker.subscribe(REAL.topic("trade"), on_trade)  # bound before market-data publishes its first trade
    await broker.subscribe(REAL.topic("candle") + ".1", on_candle)
    async with sim_exchange(folder) as port:
        config = tmp_path / "tw.yaml"
        config.write_text(
            f"mode: distributed\nexchanges:\n  default: simsrv\n  entries:\n"
            f'    simsrv: {{type: bybit, env: sim-server, url: "http://127.0.0.1:{port}"}}\n'
            "market_data:\n  subscriptions:\n"
            "    - {exchange: simsrv, category: spot, symbol: BTCUSDT, matching_key: BTCUSDT}\n"
        )  # no strategies: the shipped default has none
        await start_service("storage", "-c", str(config))
        market_data = await start_service("market-data", "-c", str(config))
        gateway = await start_service("gateway", "-c", str(config))
        api = (await gateway.wait_event("gateway.http_listening"))["url"]

        async def first() -> list[Candle]:
            return candles

        (candle,) = await until(first, bool, "the subscribed market's first candle", wait=2 * MINUTE_MS / 1000 + WAIT)

        # Every trade of its minute, each once (market-data's feed listens to md.trade.# alone, before collecting).
        async def of_minute() -> tuple[int, Decimal]:
            mine = [t for t in trades if candle.start_ms <= t.ts_ns // 1_000_000 < candle.end_ms]
            return len(mine), sum((t.qty for t in mine), D(0))

        await until(of_minute, lambda seen: seen == (candle.trades, candle.volume), "the candle's trades, each once")
        assert candle.trades > 0 and candle.ref.matching_key == "BTCUSDT"

        async def stored() -> list[dict[str, Any]]:
            status, body = await get(api + "/candles?exchange=simsrv&category=spot&symbol=BTCUSDT&interval=1")
            assert status == 200, body
            return json.loads(body)  # type: ignore[no-any-return]

        rows = await until(stored, lambda r: any(row["start_ms"] == candle.start_ms for row in r), "it recorded")
        (row,) = [r for r in rows if r["start_ms"] == candle.start_ms]
        assert (row["close"], row["trades"]) == (str(candle.close), candle.trades)
        assert [c.start_ms for c in candles].count(candle.start_ms) == 1  # published once
        assert await market_data.terminate() == 0
