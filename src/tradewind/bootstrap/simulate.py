"""``tradewind simulate``: the embedded system on the simulated clock, driven as fast as the machine goes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.bootstrap.embedded import build_embedded
from tradewind.settings import Settings

_NS = 1_000_000_000
_CHUNK_S = 1.0  # time moves a simulated second at a time; the bus is drained in between


@dataclass(frozen=True, slots=True)
class SimulationResult:
    simulated_s: float
    steps: int
    published: int
    recorded: int


async def simulate(settings: Settings, hours: float, on_progress: Callable[[float], None]) -> SimulationResult:
    """Run ``hours`` of simulated time; ``on_progress`` gets the simulated seconds done after each chunk."""
    if settings.clock != "sim":
        raise ValueError("simulate needs clock: sim (the command sets it)")
    system = build_embedded(settings, console_logging=False, serve_exchange=False)
    clock, bus = system.platform.clock, system.platform.bus
    assert isinstance(clock, SimClock)
    await system.start()
    start = clock.now_ns()
    end = start + round(hours * 3600 * _NS)
    try:
        while clock.now_ns() < end:
            await clock.advance_to(min(clock.now_ns() + round(_CHUNK_S * _NS), end))
            # Let every consumer (the recorder first) take what this second published before time moves on.
            while isinstance(bus, InMemoryBus) and bus.waiting:  # noqa: ASYNC110 - consumers run on yields, no event
                await asyncio.sleep(0)
            on_progress((clock.now_ns() - start) / _NS)
    finally:
        await system.stop()
    simulator = system.simulator
    done_s = (clock.now_ns() - start) / _NS
    return SimulationResult(done_s, simulator.steps, simulator.published, system.recorder.stats.written)
