"""Several ccxt.pro watch loops read as one async iterator: each loop puts its items, or its exception, on one queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Producer = Callable[[asyncio.Queue[T | BaseException]], Coroutine[Any, Any, None]]


async def merged(producers: Sequence[tuple[str, Producer[T]]]) -> AsyncIterator[T]:
    """Run each named producer as a task and yield what they put, in arrival order.

    The first exception a producer puts is raised here; when the iteration ends every task is cancelled.
    """
    queue: asyncio.Queue[T | BaseException] = asyncio.Queue()
    tasks = [asyncio.create_task(produce(queue), name=name) for name, produce in producers]
    try:
        while True:
            item = await queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
