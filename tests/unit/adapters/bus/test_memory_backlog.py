"""The in-memory bus's backlog (the embedded System panel's queue lag): messages waiting per queue."""

from __future__ import annotations

import asyncio

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.application.ports.bus import Message


async def test_backlog_counts_what_waits_in_named_queues_and_fan_outs_by_pattern() -> None:
    bus = InMemoryBus()
    await bus.start()
    release = asyncio.Event()

    async def stuck(_message: Message) -> None:
        await release.wait()

    try:
        await bus.declare_queue("signal.trade.#", "trader.signals")  # nobody consumes it yet
        await bus.subscribe("md.#", stuck)
        assert bus.backlog() == {"trader.signals": 0, "fanout:md.#": 0}  # the reply queue of requests is left out
        for n in range(3):
            await bus.publish("signal.trade.sim.spot.BTCUSDT", {"n": n})
            await bus.publish("md.trade.sim.spot.BTCUSDT", {"n": n})
        await asyncio.sleep(0)  # the fan-out's consumer takes its first message and blocks on it
        assert bus.backlog() == {"trader.signals": 3, "fanout:md.#": 2}
    finally:
        release.set()
        await bus.close()
