"""Shared builders for the swarm tests: BTC spot + perp configurations and a recorder of steps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.market import InstrumentRef, trade_to_payload
from tradewind.domain.simulation.fair_value import AssetParams, BasisParams
from tradewind.domain.simulation.population import PopulationParams
from tradewind.domain.simulation.swarm import MarketConfig, Swarm, SwarmConfig
from tradewind.domain.simulation.tape import MarketTape

NS = 1_000_000_000
START_NS = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z
SPOT = "spot:BTCUSDT"
PERP = "linear:BTCUSDT"


def instrument(key: str) -> Instrument:
    return next(i for i in default_instruments() if i.key == key)


def btc_config(seed: int, population: PopulationParams | None = None) -> SwarmConfig:
    pop = population or PopulationParams()
    return SwarmConfig(
        seed=seed,
        markets=(MarketConfig(instrument(SPOT), pop), MarketConfig(instrument(PERP), pop, BasisParams())),
        assets=(("BTC", AssetParams(initial_price=65_000.0)),),
    )


@dataclass
class Recording:
    """Per step and market: time, best bid, best ask, number of levels per side; plus the trade stream."""

    times: list[int] = field(default_factory=list)
    top: dict[str, list[tuple[int | None, int | None]]] = field(default_factory=dict)
    levels: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    trade_lines: list[bytes] = field(default_factory=list)

    def mids(self, key: str) -> list[float]:
        return [(b + a) / 2 for b, a in self.top[key] if b is not None and a is not None]

    def digest(self) -> str:
        return hashlib.sha256(b"\n".join(self.trade_lines)).hexdigest()


def record(swarm: Swarm, step_ns: int, steps: int, start_ns: int = START_NS) -> Recording:
    """Step ``swarm`` on a fixed grid, serialising every trade as the service would publish it."""
    rec = Recording()
    tapes = {
        key: MarketTape(InstrumentRef("sim", m.instrument.category, m.instrument.symbol, "BTCUSDT"), m.engine)
        for key, m in swarm.markets.items()
    }
    for key in swarm.markets:
        rec.top[key], rec.levels[key] = [], []
    for i in range(1, steps + 1):
        now = start_ns + i * step_ns
        rec.times.append(now)
        for step in swarm.step(now):
            engine = swarm.markets[step.key].engine
            for trade in tapes[step.key].events(step.reports, now).trades:
                rec.trade_lines.append(json.dumps(trade_to_payload(trade), sort_keys=True).encode())
            rec.top[step.key].append((engine.best_bid(), engine.best_ask()))
            if i % 10 == 0:
                snap = engine.snapshot(None)
                rec.levels[step.key].append((min(50, len(snap.bids)), min(50, len(snap.asks))))
    return rec
