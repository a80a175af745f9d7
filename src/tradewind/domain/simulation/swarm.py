"""The swarm: traders of every simulated market stepped on a simulated clock against the engines.

``Swarm.step(now_ns)`` advances the fair values, lets each market's traders act (in a seeded random
order), applies their actions to the matching engines and returns the engines' reports. Orders from
outside the swarm may share the engines: pass their reports to ``absorb`` so that makers learn of
their fills. Same seed and same step times give the same reports, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tradewind.domain.instruments import Instrument
from tradewind.domain.matching import MatchingEngine, OrderStatus, RejectReason, Report
from tradewind.domain.matching.events import Fill
from tradewind.domain.simulation.fair_value import AssetParams, BasisParams, FairValueModel
from tradewind.domain.simulation.population import PopulationParams, build_traders
from tradewind.domain.simulation.seeding import derive_rng
from tradewind.domain.simulation.view import Action, Amend, MarketView, OwnOrder, Quoter, Submit, Trader
from tradewind.domain.values import Side

_REJECTED = OrderStatus.REJECTED
_GONE = (RejectReason.UNKNOWN_ORDER, RejectReason.ORDER_CLOSED)
_BUY = Side.BUY


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """One simulated market: its instrument, its traders, and for a perpetual the basis over spot."""

    instrument: Instrument
    population: PopulationParams = field(default_factory=PopulationParams)
    basis: BasisParams | None = None


@dataclass(frozen=True, slots=True)
class SwarmConfig:
    seed: int
    markets: tuple[MarketConfig, ...]
    assets: tuple[tuple[str, AssetParams], ...]  # base asset -> its latent price process

    def __post_init__(self) -> None:
        keys = [m.instrument.key for m in self.markets]
        if len(set(keys)) != len(keys):
            raise ValueError(f"each market may appear once, got {keys}")
        known = {name for name, _ in self.assets}
        for market in self.markets:
            if market.instrument.base not in known:
                raise ValueError(f"market {market.instrument.key} needs AssetParams for {market.instrument.base!r}")


@dataclass(frozen=True, slots=True)
class MarketStep:
    """The reports one market's engine produced during one step, in order."""

    key: str
    reports: list[Report]


class AgentState:
    """A trader with what the swarm knows of it: live orders, position (lots) and cash (ticks x lots)."""

    __slots__ = ("cash", "is_quoter", "orders", "position", "trader")

    def __init__(self, trader: Trader) -> None:
        self.trader = trader
        self.is_quoter = isinstance(trader, Quoter)
        self.orders: dict[str, OwnOrder] = {}
        self.position = 0
        self.cash = 0


class SimulatedMarket:
    """The traders of one instrument and the engine they trade on."""

    def __init__(self, config: MarketConfig, engine: MatchingEngine, seed: int) -> None:
        if engine.instrument != config.instrument:
            raise ValueError(f"engine trades {engine.instrument.key}, market is {config.instrument.key}")
        self.instrument = config.instrument
        self.key = config.instrument.key
        self.engine = engine
        self.agents = [AgentState(t) for t in build_traders(seed, self.key, self.instrument, config.population)]
        self._quoters = [(a, a.trader) for a in self.agents if isinstance(a.trader, Quoter)]  # typed pairs
        self._owner: dict[str, AgentState] = {}  # live swarm order id -> its trader
        self._schedule = derive_rng(seed, self.key, "schedule")
        self._tick = float(self.instrument.tick_size)
        self.last_price: int | None = None
        self.taker_flow = 0  # signed ticks x lots of taker buying since the last drain

    def step(self, now_ns: int, fair_price: float) -> list[Report]:
        """Let every trader act once, in a fresh random order; return the engine's reports."""
        engine = self.engine
        fair_ticks = fair_price / self._tick
        reports: list[Report] = []
        quoters = self._quoters[:]
        self._schedule.shuffle(quoters)
        for agent, quoter in quoters:
            view = MarketView(
                now_ns, engine.best_bid(), engine.best_ask(), self.last_price, fair_ticks, agent.orders, agent.position
            )
            for action in quoter.withdraw(view):
                if (report := self._apply(agent, action, now_ns)) is not None:
                    reports.append(report)
        order = self.agents[:]
        self._schedule.shuffle(order)
        for agent in order:
            view = MarketView(
                now_ns, engine.best_bid(), engine.best_ask(), self.last_price, fair_ticks, agent.orders, agent.position
            )
            for action in agent.trader.decide(view):
                if (report := self._apply(agent, action, now_ns)) is not None:
                    reports.append(report)
        return reports

    def absorb(self, reports: Sequence[Report]) -> None:
        """Account for operations made outside the swarm (e.g. API clients) on the same engine."""
        for report in reports:
            if report.fills:
                self._settle(report.fills)

    def drain_taker_flow(self) -> float:
        """Signed quote notional of taker buying since the last call (sells negative)."""
        flow, self.taker_flow = self.taker_flow, 0
        return flow * self._tick * float(self.instrument.qty_step)

    def _apply(self, agent: AgentState, action: Action, now_ns: int) -> Report | None:
        """Apply one action; None when it names an order that is not the trader's own (nothing is sent)."""
        engine = self.engine
        if isinstance(action, Submit):
            oid = action.order_id
            report = engine.submit(oid, action.side, action.order_type, action.lots, action.price, action.tif, now_ns)
            side, price = action.side, action.price
        elif isinstance(action, Amend):
            oid = action.order_id
            current = agent.orders.get(oid)
            if current is None:
                return None  # engines are shared: never touch an order this trader does not hold
            report = engine.amend(oid, price=action.price, qty=action.lots, ts=now_ns)
            if report.status is _REJECTED and report.reason not in _GONE:
                return report
            side = current.side
            price = current.price if action.price is None else action.price
        else:
            oid = action.order_id
            if oid not in agent.orders:
                return None
            report = engine.cancel(oid, now_ns)
            agent.orders.pop(oid, None)
            self._owner.pop(oid, None)
            return report
        if report.fills:
            self._settle(report.fills, agent, impact=not agent.is_quoter)
        if report.leaves > 0 and report.status is not _REJECTED and price is not None:
            agent.orders[oid] = OwnOrder(oid, side, price, report.leaves)
            self._owner[oid] = agent
        else:
            agent.orders.pop(oid, None)
            self._owner.pop(oid, None)
        return report

    def _settle(self, fills: Sequence[Fill], taker: AgentState | None = None, *, impact: bool = True) -> None:
        # A maker taking a stale quote acts on the fair value it already knows: no further impact,
        # which would feed moves back into themselves.
        owner = self._owner
        for fill in fills:
            qty, price = fill.qty, fill.price
            signed = qty if fill.taker_side is _BUY else -qty
            if impact:
                self.taker_flow += signed * price
            self.last_price = price
            if taker is not None:
                taker.position += signed
                taker.cash -= signed * price
            maker = owner.get(fill.maker_order_id)
            if maker is None:
                continue
            maker.position -= signed
            maker.cash += signed * price
            oid = fill.maker_order_id
            if fill.maker_leaves:
                o = maker.orders[oid]
                maker.orders[oid] = OwnOrder(oid, o.side, o.price, fill.maker_leaves)
            else:
                del maker.orders[oid], owner[oid]


class Swarm:
    """Every simulated market, sharing one fair-value model (BTC spot and perp move together)."""

    def __init__(self, config: SwarmConfig, start_ns: int, engines: Mapping[str, MatchingEngine] | None = None) -> None:
        engines = dict(engines or {})
        for market in config.markets:
            engines.setdefault(market.instrument.key, MatchingEngine(market.instrument))
        self.config = config
        self.fair_value = FairValueModel(
            dict(config.assets),
            {m.instrument.key: (m.instrument.base, m.basis) for m in config.markets},
            config.seed,
            start_ns,
        )
        self.markets = {
            m.instrument.key: SimulatedMarket(m, engines[m.instrument.key], config.seed) for m in config.markets
        }

    def step(self, now_ns: int) -> list[MarketStep]:
        """Advance the fair values to ``now_ns`` and let every market trade once."""
        self.fair_value.advance(now_ns)
        steps = [
            MarketStep(key, market.step(now_ns, self.fair_value.price(key))) for key, market in self.markets.items()
        ]
        self._apply_impact()
        return steps

    def absorb(self, key: str, reports: Sequence[Report]) -> None:
        """Feed reports of outside orders on market ``key``: makers' fills, and the flow's price impact."""
        market = self.markets.get(key)
        if market is None:
            return
        market.absorb(reports)
        self._apply_impact()

    def _apply_impact(self) -> None:
        for key, market in self.markets.items():
            flow = market.drain_taker_flow()
            if flow:
                self.fair_value.asset_of(key).apply_impact(flow)
