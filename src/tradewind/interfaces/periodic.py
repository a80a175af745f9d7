"""Drift-free periodic calls for the simulated exchange's stream feeds (Bybit and Binance faces alike)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


async def every(interval_s: float, tick: Callable[[], None], *, name: str) -> None:
    """Call ``tick`` every ``interval_s`` until cancelled; a loop that fell behind resumes from now rather than burst.

    An exception in ``tick`` is logged with ``name`` and the next call still comes.
    """
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        due += interval_s
        delay = due - loop.time()
        if delay < 0:
            due, delay = loop.time(), 0.0
        await asyncio.sleep(delay)
        try:
            tick()
        except Exception:
            log.exception("stream_feed.error", feed=name)
