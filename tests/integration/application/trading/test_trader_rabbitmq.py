"""The trader over RabbitMQ: its queue declared by the producer keeps early signals, bad signals are dead-lettered
with a logged reason and change nothing, and a consumer SIGKILLed mid-transaction leaves exactly one position."""

from __future__ import annotations

import os
import signal as signals
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from tests.support.bybit_server import seeded_venue
from tests.support.logs import captured_logs
from tests.support.processes import sim_exchange_process
from tests.support.signals import signal
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.settings import load_credentials
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.messages.signals import SIGNAL
from tradewind.application.trading.service import TraderService
from tradewind.application.trading.settings import SIGNAL_PATTERN, TRADER_QUEUE
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import DealStatus, deal_client_order_id
from tradewind.domain.values import Category
from tradewind.settings import load_settings

ROOT = Path(__file__).resolve().parents[4]
ENV = {"TRADEWIND_SIMSRV_API_KEY": "tradewind-demo-key", "TRADEWIND_SIMSRV_API_SECRET": "tradewind-demo-secret"}


@dataclass
class Rig:
    bus: RabbitMqBus
    trader: TraderService
    deals: SqlDealRepository


@pytest.fixture
async def rig(rabbit_settings: RabbitMqSettings, sqlite_database: Database) -> AsyncIterator[Rig]:
    clock = SimClock()
    bus = RabbitMqBus(rabbit_settings)
    await bus.start()
    deals = SqlDealRepository(sqlite_database)
    trader = TraderService(deals, {"sim": SimGateway(seeded_venue(clock), "trader-1", "sim")}, bus, clock)
    yield Rig(bus, trader, deals)
    await trader.stop()
    await bus.close()


async def test_a_signal_published_before_the_trader_ever_ran_waits_in_the_queue_the_producer_declared(
    rig: Rig,
) -> None:
    await rig.bus.declare_queue(SIGNAL_PATTERN, TRADER_QUEUE)  # what the producer does at start
    buy = signal(exchange="sim", price="60000")
    await rig.bus.publish(buy.topic(), SIGNAL.encode(buy))
    await rig.trader.start()
    await eventually(rig.deals.open_deals, lambda found: len(found) == 1 and found[0].status is DealStatus.OPEN)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount_quote": "-5"}, "amount_quote must be positive"),
        ({"symbol": "DOGEUSDT"}, "DOGEUSDT"),
        ({"source": None}, "source"),
        (None, "not JSON"),
    ],
)
async def test_a_bad_signal_is_dead_lettered_with_a_logged_reason_and_changes_nothing(
    rig: Rig, change: dict[str, Any] | None, reason: str
) -> None:
    await rig.trader.start()
    good = SIGNAL.encode(signal(exchange="sim", price="60000"))
    with captured_logs() as logs:
        if change is None:  # not even JSON: straight onto the exchange, past the bus's own encoder
            link = rig.bus._link
            assert link is not None
            message = aio_pika.Message(b"{not json", content_type="application/json")
            await rig.bus.send(link.events, "signal.trade.sim.linear.BTCUSDT", message)
        else:
            await rig.bus.publish("signal.trade.sim.linear.BTCUSDT", {**good, **change})
        dead = await eventually(lambda: rig.bus.dead_letters(TRADER_QUEUE), lambda found: len(found) == 1)
    assert dead[0].topic == "signal.trade.sim.linear.BTCUSDT"
    if change is not None:
        refused = [e for e in logs if e["event"] == "trader.signal_refused"]
        assert refused and reason in refused[0]["reason"]
    assert await rig.deals.deals() == []


@pytest.fixture
def exchange_process(tmp_path: Path) -> Iterator[int]:
    with sim_exchange_process(tmp_path, {**os.environ, **ENV}) as (port, _):
        yield port


async def test_a_buy_redelivered_after_its_consumer_is_sigkilled_mid_transaction_opens_one_position(
    rabbit_settings: RabbitMqSettings, exchange_process: int, tmp_path: Path
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tw.db'}")
    database.upgrade()
    config = tmp_path / "tw.yaml"
    config.write_text(
        f"storage:\n  url: sqlite:///{tmp_path / 'tw.db'}\nlogging:\n  level: warning\n"
        f"distributed:\n  bus:\n    url: {rabbit_settings.url}\n"
        f"exchanges:\n  default: simsrv\n  entries:\n"
        f'    simsrv: {{type: bybit, env: sim-server, url: "http://127.0.0.1:{exchange_process}"}}\n'
    )
    entry = load_settings(config).exchanges.entries["simsrv"]
    gateway = open_gateway("simsrv", entry, load_credentials("simsrv", entry, ENV), WallClock())
    await gateway.load_instruments()
    bus = RabbitMqBus(rabbit_settings)
    await bus.start()
    try:
        ticker = await gateway.fetch_ticker(Category.LINEAR, "BTCUSDT")
        assert ticker.ask is not None
        buy = signal(exchange="simsrv", price=str(ticker.ask), amount="500")
        await bus.declare_queue(SIGNAL_PATTERN, TRADER_QUEUE)
        await bus.publish(buy.topic(), SIGNAL.encode(buy))

        marker = tmp_path / "placed"
        victim = subprocess.Popen(  # noqa: ASYNC220 - started once; the test waits on its marker file
            [sys.executable, "-m", "tests.support.trader_victim", str(config), str(marker)],
            cwd=ROOT, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await wait_for(marker.exists, timeout=60)
        finally:
            victim.send_signal(signals.SIGKILL)
            victim.wait(10)
        cid = deal_client_order_id(buy.signal_id, "b")
        deals = SqlDealRepository(database)
        pending = await deals.by_client_order_id("simsrv", cid)
        assert pending is not None and pending.status is DealStatus.PENDING  # killed mid-transaction

        survivor = TraderService(deals, {"simsrv": gateway}, bus, WallClock())
        await survivor.start()  # reconciles the pending deal by its client id; the redelivery finds it done
        try:
            opened = await eventually(deals.open_deals, lambda f: bool(f) and f[0].status is DealStatus.OPEN)
            await wait_for(lambda: sum(survivor.handled.values()) == 1, timeout=30)
        finally:
            await survivor.stop()
        (deal,) = opened
        fills = await gateway.fetch_fills(Category.LINEAR, "BTCUSDT", client_order_id=cid)
        assert sum(f.qty for f in fills) == deal.qty > 0  # one order's fills: never a second order
        positions = await gateway.fetch_positions(Category.LINEAR)
        assert sum((p.size for p in positions if p.symbol == "BTCUSDT"), Decimal(0)) == deal.qty
        assert [d.action for d in await deals.deals()] == [Action.BUY]
    finally:
        await bus.close()
        await gateway.close()
        database.dispose()
