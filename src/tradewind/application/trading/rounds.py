"""A periodic round of the trading services (the trader's sync, the trade desk's ticker poll) on the ``Clock``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from tradewind.application.ports.clock import Clock

log = structlog.get_logger(__name__)


async def every(
    clock: Clock, interval_s: float, stopping: asyncio.Event, work: Callable[[], Awaitable[object]], failed: str
) -> None:
    """``work`` every ``interval_s`` until ``stopping`` is set; a failing round is logged as ``failed`` and the next
    one runs (an exchange or database outage costs a round, not the loop)."""
    while True:
        pause = asyncio.ensure_future(clock.sleep(interval_s))
        halt = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({pause, halt}, return_when=asyncio.FIRST_COMPLETED)
        for waiting in (pause, halt):
            waiting.cancel()
        if stopping.is_set():
            return
        try:
            await work()
        except Exception:
            log.exception(failed)
