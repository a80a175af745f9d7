"""The spread workflow on the in-process simulator with a perp mispricing injected (``simulator.basis.shock_bp``).

The swarm is stepped on a simulated clock; the signal engine follows its ``md.book`` events over the in-memory bus
and asks the trading engine over ``rpc.orders``. In ``real`` mode the legs go to the venue through ``SimGateway``,
so the realised PnL can be reconciled with the venue's own executions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tests.fakes.spread_repository import FakeSpreadRepository
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.application.messages import codec
from tradewind.application.messages.spread import ORDERS_CALL
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.spread.settings import SpreadSettings
from tradewind.application.spread.signal import SignalEngine
from tradewind.application.spread.trading import TradingEngine
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.bootstrap.spread import instruments
from tradewind.domain.orders import ExecutionFill
from tradewind.domain.spread.orders import SpreadOrder, SpreadQuery, SpreadReply
from tradewind.domain.spread.position import SpreadState
from tradewind.domain.values import Category, Side
from tradewind.settings import Settings

NS = 1_000_000_000
DEMO_KEY = "tradewind-demo-key"
CYCLES = 3  # dislocations of 20 s, each followed by 20 s of convergence


@dataclass
class Rig:
    clock: SimClock
    simulator: MarketSimulatorService
    gateway: SimGateway
    trading: TradingEngine
    signal: SignalEngine

    async def run(self, seconds: float) -> None:
        """Step the swarm on the clock; books go out on the bus, the engines answer in between."""
        for _ in range(int(seconds * 10)):
            await self.clock.advance(0.1)
            await self.simulator.step_until(self.clock.now_ns())
            await self.signal.settle()


def _settings(mode: str) -> Settings:
    simulator: dict[str, Any] = {"basis": {"shock_bp": 80.0, "shock_period_s": 40.0, "shock_duty": 0.5}}
    spread = {"mode": mode, "min_hold_s": 1, "max_round_trips": 20, "max_book_age_ms": 1000}
    return Settings.model_validate({"simulator": simulator, "spread": spread})


@pytest.fixture(params=["simulated", "real"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    settings = _settings(str(request.param))
    clock, bus = SimClock(), InMemoryBus()
    await bus.start()
    simulator, venue = market_and_venue(settings, clock, bus)
    gateway = SimGateway(venue, DEMO_KEY)
    await gateway.load_instruments()
    config: SpreadSettings = settings.spread
    trading = TradingEngine(FakeSpreadRepository(), clock, config, {"sim": gateway})
    await trading.start()
    served = await codec.serve(bus, ORDERS_CALL, trading.handle, trading.refuse_malformed)

    async def send(order: SpreadOrder) -> SpreadReply:
        return await codec.request(bus, ORDERS_CALL, order, timeout=config.request_timeout_s)

    signal = SignalEngine(clock, config, instruments({"sim": gateway}), send, bus=bus)
    await signal.start()
    yield Rig(clock, simulator, gateway, trading, signal)
    await signal.stop()
    await served.cancel()
    await bus.close()


def _cash(fills: list[ExecutionFill]) -> Decimal:
    """What the venue's executions did to the account, in quote: sells in, buys out, fees out (base fees valued)."""
    total = Decimal(0)
    for fill in fills:
        value = fill.qty * fill.price
        total += value if fill.side is Side.SELL else -value
        total -= fill.fee * fill.price if fill.fee_currency == "BTC" else fill.fee
    return total


async def test_spreads_open_and_close_on_the_mispricing_with_a_positive_net_pnl(rig: Rig) -> None:
    await rig.run(CYCLES * 40)
    for _ in range(10):  # let the last one converge and close
        if not rig.trading.spreads:
            break
        await rig.run(10)
    book = await rig.trading.book(SpreadQuery())
    closed = [s for s in book.spreads if s.state is SpreadState.CLOSED]
    assert len(closed) >= 3 and rig.trading.spreads == {}
    net = sum((s.net_realised for s in closed), Decimal(0))
    assert net > 0 and all(s.fees > 0 for s in closed)  # positive net of fees
    assert rig.trading.exposure.total() == 0
    assert rig.trading.stats.nacks == 0
    if rig.trading.mode == "real":
        fills = [
            *await rig.gateway.fetch_fills(Category.SPOT, "BTCUSDT"),
            *await rig.gateway.fetch_fills(Category.LINEAR, "BTCUSDT"),
        ]
        assert fills and all(f.client_order_id.startswith("sp") for f in fills)
        assert abs(_cash(fills) - net) < Decimal("0.000001")  # the engine's PnL is the venue's
