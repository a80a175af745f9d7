"""The TWAP services over fakes of their ports: in-memory repositories, a fake exchange, the in-memory bus, SimClock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from tests.fakes.exchange import FakeExchange
from tests.fakes.logs import InMemoryLogRepository
from tests.fakes.twap_repository import InMemoryTwapRepository
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.ports.bus import Message
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.domain.twap.spec import TwapSpec
from tradewind.domain.values import Category, Side

BUY = TwapSpec("fake", Category.SPOT, "BTCUSDT", Side.BUY, runtime_s=240, slices=4, quantity=Decimal("0.01"))


def spec(**changes: Any) -> TwapSpec:
    """Buy 0.01 BTC on the fake exchange in 4 slices over 4 minutes, with ``changes``."""
    return replace(BUY, **changes)


@dataclass
class Twap:
    """The three TWAP services sharing one repository, bus and clock, and what they published."""

    clock: SimClock
    bus: InMemoryBus
    repo: InMemoryTwapRepository
    logs: InMemoryLogRepository
    exchange: FakeExchange
    service: TwapService
    scheduler: TwapScheduler
    ordering: TwapOrdering
    published: dict[str, list[Message]] = field(default_factory=dict)

    def messages(self, topic: str) -> list[Message]:
        return self.published[topic]
