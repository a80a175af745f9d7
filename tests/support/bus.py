"""A bus handler that collects what it is given, for tests that watch a topic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tradewind.application.ports.bus import Message


def collector() -> tuple[list[Message], Callable[[Message], Awaitable[None]]]:
    seen: list[Message] = []

    async def handler(m: Message) -> None:
        seen.append(m)

    return seen, handler
