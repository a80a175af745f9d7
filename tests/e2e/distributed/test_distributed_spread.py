"""Spread arbitrage distributed: market-data, storage, signal and trading-engine as processes over RabbitMQ and
PostgreSQL, trading in real mode on a ``tradewind sim-exchange`` process with a perp mispricing injected.

Every order create is held 1.5 s by the sim-exchange (a ``latency`` fault), so the trading engine can be SIGKILLed
while its second leg is on the way. Restarted, it gets the order again (redelivered from the durable ``rpc.orders``
queue, and sent again by the signal engine with the same request id after its timeout), finds the legs already at
the venue by their client order ids, and completes or unwinds them: no naked leg is left.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.settings import load_credentials
from tradewind.domain.orders import ExecutionFill
from tradewind.domain.values import Category, Side
from tradewind.settings import load_settings

from .distributed_support import CREDENTIALS, StartService, sim_exchange, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MARKET = """
simulator:
  basis: {shock_bp: 80.0, shock_period_s: 20.0}
sim_exchange:
  faults:
    seed: 3
    rules:
      - {kind: latency, route: /v5/order/create, params: {dist: fixed, ms: 1500}}
"""


ANSWERS = ("spread.ack", "spread.nack")


@pytest.fixture
async def exchange(tmp_path: Path) -> AsyncIterator[int]:
    """``tradewind sim-exchange`` with the mispricing and the held order creates (its own ./tradewind.yaml)."""
    folder = tmp_path / "exchange"
    folder.mkdir()
    (folder / "tradewind.yaml").write_text(MARKET)
    async with sim_exchange(folder) as port:
        yield port


@pytest.fixture
def config(tmp_path: Path, exchange: int, service_env: dict[str, str]) -> Path:
    service_env.update(CREDENTIALS)
    path = tmp_path / "tw.yaml"
    path.write_text(
        f"""clock: wall
exchanges:
  default: simsrv
  entries:
    simsrv: {{type: bybit, env: sim-server, url: "http://127.0.0.1:{exchange}"}}
market_data:
  subscriptions:
    - {{exchange: simsrv, category: spot, symbol: BTCUSDT, matching_key: BTCUSDT}}
    - {{exchange: simsrv, category: linear, symbol: BTCUSDT, matching_key: BTCUSDT}}
spread:
  mode: real
  min_hold_s: 1
  request_timeout_s: 4
  max_book_age_ms: 5000
"""
    )
    return path


@pytest.fixture
def query(postgres_url: str, pg_schema: str) -> Iterator[Callable[[str], list[dict[str, Any]]]]:
    engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={pg_schema}"})

    def run(sql: str) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(sql))]

    yield run
    engine.dispose()


async def _venue_fills(config: Path) -> dict[Category, list[ExecutionFill]]:
    """The spread's executions at the venue (client order ids ``sp...``), by category, as the venue reports them."""
    settings = load_settings(config)
    entry = settings.exchanges.entries["simsrv"]
    gateway = open_gateway("simsrv", entry, load_credentials("simsrv", entry, CREDENTIALS), WallClock())
    try:
        await gateway.load_instruments()
        return {
            category: [f for f in await gateway.fetch_fills(category, "BTCUSDT") if f.client_order_id.startswith("sp")]
            for category in (Category.SPOT, Category.LINEAR)
        }
    finally:
        await gateway.close()


def _held(fills: list[ExecutionFill]) -> Decimal:
    return sum((f.qty if f.side is Side.BUY else -f.qty for f in fills), Decimal(0))


async def test_trading_engine_killed_between_the_legs_leaves_no_naked_leg(
    start_service: StartService, config: Path, query: Callable[[str], list[dict[str, Any]]]
) -> None:
    storage = await start_service("storage")
    market_data = await start_service("market-data", "-c", str(config))
    trading = await start_service("trading-engine", "-c", str(config))
    signal = await start_service("signal", "-c", str(config))

    first_leg = await trading.wait_event("spread.first_leg_filled")
    trading.process.kill()  # SIGKILL while the second leg's create is held by the venue
    await trading.process.wait()
    restarted = await start_service("trading-engine", "-c", str(config))

    async def both_sides() -> tuple[Decimal, Decimal, Decimal]:
        fills = await _venue_fills(config)
        recorded = query("SELECT qty FROM spreads WHERE state <> 'closed'")
        return (
            _held(fills[Category.SPOT]),
            _held(fills[Category.LINEAR]),
            sum((Decimal(r["qty"]) for r in recorded), Decimal(0)),
        )

    request_id = first_leg["request_id"]

    async def answered() -> list[dict[str, Any]]:
        return [e for e in restarted.events if e.get("request_id") == request_id and e.get("event") in ANSWERS]

    # The interrupted request is answered after the restart (completed, or its first leg unwound)...
    await until(answered, bool, "the interrupted request answered by the restarted engine")
    # ...and then the venue holds as much sold perp as bought spot, and the engine records exactly that.
    spot, perp, engine = await until(both_sides, lambda held: held[0] == -held[1] == held[2], "no naked leg")
    long_fills = [f for f in (await _venue_fills(config))[Category.SPOT] if f.client_order_id == f"sp{request_id}L"]
    # its first leg was found by its client order id after the restart, not sent a second time
    assert sum((f.qty for f in long_fills), Decimal(0)) == Decimal(first_leg["qty"])
    assert spot == engine and perp == -spot

    for service in (signal, restarted, market_data, storage):
        assert await service.terminate() == 0, service.output()
