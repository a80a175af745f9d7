"""Waiting helpers shared by every test: wait on a condition with an upper bound, never on a fixed sleep."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
WAIT = 15.0  # an upper bound for a condition, not a timing expectation
WaitUntil = Callable[..., Awaitable[None]]  # the type of the store tests' ``wait_until`` fixture


async def wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    """Return once ``predicate()`` holds; fail with TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the conditions are plain state, not events
            await asyncio.sleep(0.002)


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = WAIT) -> T:
    """Call ``probe`` until its result is accepted; return that result."""
    async with asyncio.timeout(timeout):
        while not accept(result := await probe()):  # noqa: ASYNC110 - polling another process's state
            await asyncio.sleep(0.05)
    return result


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Runs ``work`` as a task while the block runs; cancels it and waits for it on leaving."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
