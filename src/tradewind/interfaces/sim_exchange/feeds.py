"""The simulated exchange's stream feeds, Bybit and Binance faces alike: drift-free pumping and who listens."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)
F = TypeVar("F")  # a feed
S = TypeVar("S")  # a subscriber session


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


class FeedTopics(Generic[F, S]):
    """The live topics of a stream hub: each topic's feed, its subscribers and the task pumping it.

    A topic opens with its first subscriber and closes (its pump cancelled) when the last one leaves.
    """

    def __init__(self) -> None:
        self._feeds: dict[str, F] = {}
        self._subscribers: dict[str, set[S]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}

    def feed(self, topic: str) -> F | None:
        return self._feeds.get(topic)

    def feeds(self) -> list[tuple[str, F]]:
        return list(self._feeds.items())

    def open(self, topic: str, feed: F, pump: Callable[[], Coroutine[Any, Any, None]], *, name: str) -> F:
        """Register a new topic and start its pump."""
        self._feeds[topic] = feed
        self._subscribers[topic] = set()
        self._pumps[topic] = asyncio.create_task(pump(), name=name)
        return feed

    def add(self, topic: str, session: S) -> None:
        self._subscribers[topic].add(session)

    def remove(self, topic: str, session: S) -> None:
        """Drop the session from the topic; the last one out closes the topic."""
        subscribers = self._subscribers.get(topic)
        if subscribers is None:
            return
        subscribers.discard(session)
        if not subscribers:
            del self._subscribers[topic], self._feeds[topic]
            pump = self._pumps.pop(topic, None)  # already gone when ``close`` stopped every pump first
            if pump is not None:
                pump.cancel()

    def subscribers(self, topic: str) -> set[S]:
        return self._subscribers.get(topic, set())

    async def close(self) -> None:
        """Stop every pump (the topics stay registered until their sessions leave)."""
        pumps, self._pumps = list(self._pumps.values()), {}
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task
