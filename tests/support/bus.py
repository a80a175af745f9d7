"""A bus handler that collects what it is given, for tests that watch a topic; a bus that keeps what was published."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.application.ports.bus import BusError, JsonObject, Message


def collector() -> tuple[list[Message], Callable[[Message], Awaitable[None]]]:
    seen: list[Message] = []

    async def handler(m: Message) -> None:
        seen.append(m)

    return seen, handler


class RecordingBus(InMemoryBus):
    """The in-memory bus keeping each message published on a topic starting with one of ``prefixes``, beside what
    ``witness`` saw at that moment (the store's row, say); with ``refuse`` those publishes fail as a broker outage
    would, and nothing is kept."""

    def __init__(self, *prefixes: str, witness: Callable[[JsonObject], object] | None = None) -> None:
        super().__init__()
        self._prefixes = prefixes
        self._witness = witness
        self.kept: list[tuple[str, JsonObject, object]] = []
        self.refuse = False

    async def publish(self, topic: str, payload: JsonObject, *, headers: Mapping[str, str] | None = None) -> None:
        if topic.startswith(self._prefixes):
            if self.refuse:
                raise BusError("broker unreachable")
            self.kept.append((topic, payload, None if self._witness is None else self._witness(payload)))
        await super().publish(topic, payload, headers=headers)
