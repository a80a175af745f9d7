"""The swarm is reproducible to the byte, keeps exact books of its traders, and shares engines."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

import pytest

from tradewind.domain.matching import OrderStatus, RejectReason
from tradewind.domain.simulation.fair_value import AssetParams, BasisParams
from tradewind.domain.simulation.swarm import AgentState, MarketConfig, Swarm, SwarmConfig
from tradewind.domain.simulation.view import Action, Amend, Cancel, MarketView
from tradewind.domain.values import OrderType, Side

from .simulation_support import NS, PERP, SPOT, START_NS, btc_config, instrument, record

STEP = NS // 10  # the service's default 100 ms


def test_same_seed_and_clock_give_a_byte_identical_trade_stream() -> None:
    a = record(Swarm(btc_config(seed=3), START_NS), STEP, 600)
    b = record(Swarm(btc_config(seed=3), START_NS), STEP, 600)
    assert len(a.trade_lines) > 100
    assert a.trade_lines == b.trade_lines


def test_another_seed_gives_another_trade_stream() -> None:
    a = record(Swarm(btc_config(seed=3), START_NS), STEP, 300)
    b = record(Swarm(btc_config(seed=4), START_NS), STEP, 300)
    assert a.digest() != b.digest()


_CHILD = """
from {package}.simulation_support import NS, START_NS, btc_config, record
from tradewind.domain.simulation.swarm import AgentState, Swarm
from tradewind.domain.simulation.view import Action, Amend, Cancel, MarketView
print(record(Swarm(btc_config(seed=3), START_NS), NS // 10, 300).digest())
"""


def test_trade_stream_does_not_depend_on_the_string_hash_seed(pytestconfig: pytest.Config) -> None:
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _CHILD.format(package=__package__)],
            cwd=pytestconfig.rootpath,  # ``python -c`` imports from the working directory: the tests package
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_the_swarm_knows_each_traders_live_orders_and_positions_exactly() -> None:
    swarm = Swarm(btc_config(seed=5), START_NS)
    for i in range(1, 1_200):
        swarm.step(START_NS + i * STEP)
    for market in swarm.markets.values():
        engine = market.engine
        tracked = {oid: a for a in market.agents for oid in a.orders}
        assert set(engine.open_order_ids()) == set(tracked)
        for oid, agent in tracked.items():
            resting = engine.order(oid)
            assert resting is not None
            mine = agent.orders[oid]
            assert (resting.side, resting.price, resting.leaves) == (mine.side, mine.price, mine.leaves)
        assert sum(a.position for a in market.agents) == 0  # every lot bought was sold by someone
        assert sum(a.cash for a in market.agents) == 0


def test_order_ids_are_named_after_their_trader_and_never_reused() -> None:
    swarm = Swarm(btc_config(seed=6), START_NS)
    reports = [r for i in range(1, 300) for step in swarm.step(START_NS + i * STEP) for r in step.reports]
    names = {a.trader.name for a in swarm.markets[SPOT].agents}
    assert len(reports) > 200
    for r in reports:
        name, n = r.order_id.rsplit("-", 1)
        assert name in names and n.isdigit()
        assert r.reason is not RejectReason.DUPLICATE_ORDER_ID


def test_an_outside_order_trades_with_the_swarm_and_its_makers_learn_of_the_fill() -> None:
    swarm = Swarm(btc_config(seed=7), START_NS)
    for i in range(1, 100):
        swarm.step(START_NS + i * STEP)
    market = swarm.markets[PERP]
    before = {a.trader.name: a.position for a in market.agents}
    report = market.engine.submit("client-1", Side.BUY, OrderType.MARKET, 2_000, ts=START_NS + 100 * STEP)
    assert report.status is OrderStatus.FILLED and report.fills
    swarm.absorb(PERP, [report])
    after = {a.trader.name: a.position for a in market.agents}
    assert sum(before.values()) - sum(after.values()) == 2_000  # the makers sold what the client bought
    for a in market.agents:
        for oid, order in a.orders.items():
            resting = market.engine.order(oid)
            assert resting is not None and resting.leaves == order.leaves
    for i in range(100, 200):
        swarm.step(START_NS + i * STEP)  # and trading carries on


def test_outside_buying_lifts_the_fair_value() -> None:
    swarm = Swarm(btc_config(seed=8), START_NS)
    for i in range(1, 50):
        swarm.step(START_NS + i * STEP)
    market = swarm.markets[PERP]
    perp, spot = swarm.fair_value.price(PERP), swarm.fair_value.price(SPOT)
    report = market.engine.submit("client-2", Side.BUY, OrderType.MARKET, 20_000)  # 20 BTC
    swarm.absorb(PERP, [report])
    assert swarm.fair_value.price(PERP) > perp
    assert swarm.fair_value.price(SPOT) > spot  # spot and perp share the BTC fair value


class _Rogue:
    """A trader that tries to cancel and move an order it does not own."""

    name = "rogue"

    def decide(self, view: MarketView) -> Sequence[Action]:
        return [Cancel("client-9"), Amend("client-9", price=650_000)]


def test_a_trader_cannot_touch_an_order_it_does_not_hold() -> None:
    swarm = Swarm(btc_config(seed=9), START_NS)
    market = swarm.markets[SPOT]
    market.agents.append(AgentState(_Rogue()))
    market.engine.submit("client-9", Side.BUY, OrderType.LIMIT, 1_000, 600_000)
    for i in range(1, 20):
        swarm.step(START_NS + i * STEP)
    resting = market.engine.order("client-9")
    assert resting is not None and resting.price == 600_000 and resting.leaves == 1_000


def test_adding_a_market_does_not_change_another_markets_trades() -> None:
    btc = btc_config(seed=10)
    pop = btc.markets[0].population
    with_eth = SwarmConfig(
        seed=10,
        markets=(
            *btc.markets,
            MarketConfig(instrument("spot:ETHUSDT"), pop),
            MarketConfig(instrument("linear:ETHUSDT"), pop, BasisParams()),
        ),
        assets=(*btc.assets, ("ETH", AssetParams(initial_price=3_200.0, market_correlation=0.8))),
    )
    alone = record(Swarm(btc, START_NS), STEP, 450)
    beside_eth = record(Swarm(with_eth, START_NS), STEP, 450)
    btc_lines = [line for line in beside_eth.trade_lines if b'"symbol": "BTCUSDT"' in line]
    assert len(alone.trade_lines) > 100
    assert btc_lines == alone.trade_lines
