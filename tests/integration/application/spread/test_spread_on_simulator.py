"""The spread workflow on the in-process simulator with a perp mispricing injected (``simulator.basis.shock_bp``).

The swarm is stepped on a simulated clock; the signal engine follows its ``md.book`` events over the in-memory bus
and asks the trading engine over ``rpc.orders``. In ``real`` mode the legs go to the venue through ``SimGateway``,
so the realised PnL can be reconciled with the venue's own executions, and with its funding settlements when the
spreads are held across one (the venue's perp clock ticks each second; the engine polls the venue's funding). In
``simulated`` mode the trading engine is wired as the service wires it (``bootstrap.spread.trading_engine``, SQLite)
and computes each spread's funding from the venue's ``funding.rate`` settlements on the bus.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.spread_repository import FakeSpreadRepository
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.application.messages import codec
from tradewind.application.messages.spread import FUNDING, ORDERS_CALL, SETTLEMENT
from tradewind.application.ports.bus import Message
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.spread.settings import SpreadSettings
from tradewind.application.spread.signal import SignalEngine
from tradewind.application.spread.trading import TradingEngine
from tradewind.application.venue import SimVenue, TransactionType
from tradewind.application.venue.perp_clock import PerpClock
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.bootstrap.spread import instruments, signal_engine, trading_engine
from tradewind.domain.orders import ExecutionFill
from tradewind.domain.spread.orders import FundingPayment, FundingSettlement, SpreadOrder, SpreadQuery, SpreadReply
from tradewind.domain.spread.position import SpreadState
from tradewind.domain.values import Category, Side
from tradewind.settings import Settings

NS = 1_000_000_000
DEMO_KEY = "tradewind-demo-key"
CYCLES = 3  # dislocations of 20 s, each followed by 20 s of convergence


# The venue settles funding each hour on the hour in this rig; the clock starts shortly before one settlement.
FUNDING_START_NS = (1_767_225_600 + 3_600 - 10) * NS  # 2026-01-01T00:59:50Z: the first spread holds at 01:00


@dataclass
class Rig:
    clock: SimClock
    simulator: MarketSimulatorService
    venue: SimVenue
    perp: PerpClock
    gateway: SimGateway
    trading: TradingEngine
    signal: SignalEngine
    polling: bool = True  # False: a long funding_poll_s, the venue's funding read only when the test asks

    async def run(self, seconds: float) -> None:
        """Step the swarm on the clock; books go out on the bus, the engines answer in between. Each second the
        venue's perpetuals move (funding when due) and, in real mode, the engine reads the venue's funding."""
        for step in range(int(seconds * 10)):
            await self.clock.advance(0.1)
            await self.simulator.step_until(self.clock.now_ns())
            await self.signal.settle()
            if step % 10 == 9:
                await self.perp.step()
                if self.trading.mode == "real" and self.polling:
                    await self.trading.poll_funding()


def _settings(mode: str, **extra: Any) -> Settings:
    simulator: dict[str, Any] = {"basis": {"shock_bp": 80.0, "shock_period_s": 40.0, "shock_duty": 0.5}}
    spread = {"mode": mode, "min_hold_s": 1, "max_round_trips": 20, "max_book_age_ms": 1000}
    venue = {"perp": {"funding_interval_hours": 1}}
    return Settings.model_validate({"simulator": simulator, "spread": spread, "venue": venue, **extra})


@pytest.fixture(params=["simulated", "real"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    settings = _settings(str(request.param))
    clock, bus = SimClock(FUNDING_START_NS), InMemoryBus()
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
    perp = PerpClock(venue, clock, None, "sim")
    yield Rig(clock, simulator, venue, perp, gateway, trading, signal)
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
        funding = _venue_funding(rig.venue)
        assert funding  # the spreads were held across a settlement
        paid = sum(funding, Decimal(0))
        assert paid != 0 and sum((s.funding for s in book.spreads), Decimal(0)) == paid  # every payment, once
        assert _cash(fills) + paid == net  # the engine's PnL is the venue's: executions, fees and funding
        assert await rig.trading.poll_funding() == 0  # read again: nothing counted twice


@pytest.mark.parametrize("rig", ["real"], indirect=True)
async def test_funding_read_after_the_spreads_that_held_the_settlement_closed_is_theirs_exactly(rig: Rig) -> None:
    """Real mode with a poll long after the settlement: by then every spread that held it is closed, and the
    venue's funding still lands on them, exactly, once."""
    rig.polling = False
    await rig.run(CYCLES * 40)
    for _ in range(10):
        if not rig.trading.spreads:
            break
        await rig.run(10)
    assert rig.trading.spreads == {} and rig.trading.stats.funding_applied == 0  # all closed, nothing read yet
    paid = sum(_venue_funding(rig.venue), Decimal(0))
    assert paid != 0  # spreads were held across the settlement
    assert await rig.trading.poll_funding() >= 1
    assert await rig.trading.poll_funding() == 0  # read again: nothing counted twice
    book = await rig.trading.book(SpreadQuery())
    closed = [s for s in book.spreads if s.state is SpreadState.CLOSED]
    assert sum((s.funding for s in closed), Decimal(0)) == paid and len(closed) == len(book.spreads)
    fills = [
        *await rig.gateway.fetch_fills(Category.SPOT, "BTCUSDT"),
        *await rig.gateway.fetch_fills(Category.LINEAR, "BTCUSDT"),
    ]
    assert _cash(fills) + paid == sum((s.net_realised for s in closed), Decimal(0))


def _venue_funding(venue: SimVenue) -> list[Decimal]:
    """The demo account's own funding rows on the perp (its transaction log's SETTLEMENT rows)."""
    account = venue.account(DEMO_KEY)
    assert account is not None
    return [
        t.funding
        for t in account.transactions
        if t.type is TransactionType.SETTLEMENT and t.category is Category.LINEAR and t.symbol == "BTCUSDT"
    ]


async def test_simulated_spreads_get_their_own_funding_from_the_venue_settlement(tmp_path: Path) -> None:
    """A settlement while spreads are open: each one's funding is -(+-qty) x mark x rate of that settlement, to 1e-8,
    from the rate the venue settled; the venue accounts' ``funding.payment`` is not counted; a restart counts none."""
    settings = _settings("simulated", storage={"url": f"sqlite:///{tmp_path / 'tw.db'}"})
    clock, bus = SimClock(FUNDING_START_NS), InMemoryBus()
    await bus.start()
    platform = Platform(settings, clock, bus, distributed=False)
    platform.database.upgrade()
    simulator, venue = market_and_venue(settings, clock, bus)
    perp = PerpClock(venue, clock, bus, settings.simulator.exchange)  # as ``bootstrap.simulator.perp_clock`` does
    trading, trading_part = trading_engine(platform, {})
    signal, signal_part = signal_engine(platform, {})
    assert trading_part.start and trading_part.stop and signal_part.start
    await trading_part.start()
    await signal_part.start()
    settled: list[tuple[FundingSettlement, dict[str, tuple[Decimal, int]]]] = []
    held: dict[str, tuple[Decimal, int]] = {}  # each open spread's qty and perp side (+1 long) as the tick begins

    async def on_settlement(message: Message) -> None:
        settled.append((SETTLEMENT.decode(message.payload), dict(held)))

    await bus.subscribe("funding.rate.#", on_settlement)

    async def run(seconds: int) -> None:
        for step in range(seconds * 10):
            await clock.advance(0.1)
            await simulator.step_until(clock.now_ns())
            await signal.settle()
            if step % 10 == 9:
                held.clear()
                held.update(
                    {s.spread_id: (s.qty, 1 if s.pair.long.category is Category.LINEAR else -1)
                     for s in trading.spreads.values() if s.qty}
                )  # fmt: skip
                await perp.step()
                await wait_for(lambda: {s.funding_id for s, _ in settled} <= trading.stats.funding_seen)
                await wait_for(lambda: trading.buffered_writes == 0)

    await run(30)  # the settlement at 01:00:00 is 10 s in
    assert len(settled) == 1
    settlement, open_then = settled[0]
    assert open_then, "no spread was open at the settlement"
    record = venue.funding_history("BTCUSDT")[0]
    assert (settlement.rate, settlement.ts_ns) == (record.rate, record.ts_ms * 1_000_000) and settlement.rate != 0
    expected = {
        spread_id: (-side * qty * settlement.mark * settlement.rate).quantize(Decimal("0.00000001"))
        for spread_id, (qty, side) in open_then.items()
    }
    # The venue's payments of its own accounts are on the bus too; a simulated engine does not take them.
    await bus.publish(
        "funding.payment.sim.linear.BTCUSDT",
        FUNDING.encode(FundingPayment("txn-x", "sim", Category.LINEAR, "BTCUSDT", Decimal(1000), settlement.ts_ns)),
    )
    await run(1)
    stored = {s.spread_id: s for s in (await trading.book(SpreadQuery())).spreads}
    assert {spread_id: stored[spread_id].funding for spread_id in expected} == expected
    assert all(s.funding == 0 for spread_id, s in stored.items() if spread_id not in expected)
    assert sum(expected.values(), Decimal(0)) != 0
    # Restarted on the same database, the engine has the settlement as counted: delivered again, it adds nothing.
    await signal.stop()
    await trading_part.stop()
    again, again_part = trading_engine(platform, {})
    assert again_part.start and again_part.stop
    await again_part.start()
    assert settlement.funding_id in again.stats.funding_seen
    await again.on_settlement(settlement)
    assert {i: s.funding for i, s in again.spreads.items()} == {i: expected.get(i, Decimal(0)) for i in again.spreads}
    await again_part.stop()
    await bus.close()
    platform.database.dispose()
