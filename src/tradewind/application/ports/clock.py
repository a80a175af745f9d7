"""Clock port: every place where time matters asks this, so tests can run hours in milliseconds."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Time source. ``now_ns`` is UTC epoch nanoseconds; ``sleep`` waits on this clock's time."""

    def now_ns(self) -> int: ...

    def now_ms(self) -> int: ...

    async def sleep(self, seconds: float) -> None: ...
