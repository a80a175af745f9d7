"""Clock adapters: the wall clock for live runs, a simulated clock that tests and the simulator drive."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time

_NS = 1_000_000_000


class WallClock:
    """Real UTC time; sleeps on the event loop."""

    def now_ns(self) -> int:
        return time.time_ns()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class SimClock:
    """Time moves only when advanced; sleepers wake in deadline order as it passes them.

    ``advance`` is async so that woken tasks run (and may schedule further sleeps) before it
    returns: an hour of schedule runs in milliseconds, in the same order it would in real time.
    """

    def __init__(self, start_ns: int = 1_767_225_600 * _NS) -> None:  # 2026-01-01T00:00:00Z
        self._now = start_ns
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()

    def now_ns(self) -> int:
        return self._now

    def now_ms(self) -> int:
        return self._now // 1_000_000

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + round(seconds * _NS), next(self._counter), future))
        await future

    async def advance(self, seconds: float) -> None:
        await self.advance_to(self._now + round(seconds * _NS))

    async def advance_to(self, target_ns: int) -> None:
        """Move time forward to ``target_ns``, waking each sleeper at its own deadline."""
        if target_ns < self._now:
            raise ValueError(f"a clock cannot go back: {target_ns} < {self._now}")
        while self._sleepers and self._sleepers[0][0] <= target_ns:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
            await _settle()
        self._now = target_ns
        await _settle()

    @property
    def pending_sleepers(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())


async def _settle(rounds: int = 5) -> None:
    # Several yields let a woken task run through a few awaits (e.g. a bus hop) before time moves on.
    for _ in range(rounds):
        await asyncio.sleep(0)


class ClockDriver:
    """Moves a SimClock ``speed`` times as fast as real time (``tradewind run --sim-speed N``)."""

    def __init__(self, clock: SimClock, speed: float, tick_s: float = 0.02) -> None:
        if not speed > 0:
            raise ValueError(f"sim speed must be positive, got {speed}")
        self.clock, self.speed, self.tick_s = clock, speed, tick_s
        self._running = True

    async def run(self) -> None:
        last = time.monotonic()
        while self._running:
            await asyncio.sleep(self.tick_s)
            now = time.monotonic()
            # Real time elapsed, not the tick asked for: a slow step does not slow the simulated clock down.
            await self.clock.advance((now - last) * self.speed)
            last = now

    async def stop(self) -> None:
        self._running = False
