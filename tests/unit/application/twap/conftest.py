"""The ``twap`` fixture: TwapService, TwapScheduler and TwapOrdering over fakes, no database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.exchange import FakeExchange
from tests.fakes.logs import InMemoryLogRepository
from tests.fakes.twap_repository import InMemoryTwapRepository
from tests.support.bus import collector
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.application.twap.settings import TwapSettings

from .twap_rig import Twap


@pytest.fixture
async def twap() -> AsyncIterator[Twap]:
    """Services built but not started: each test starts what it exercises."""
    clock, bus, logs = SimClock(), InMemoryBus(), InMemoryLogRepository()
    await bus.start()
    repo = InMemoryTwapRepository(logs)
    exchange = FakeExchange()
    journal = JobJournal(logs, clock)
    settings = TwapSettings()
    gateways = {exchange.name: exchange}
    rig = Twap(
        clock, bus, repo, logs, exchange,
        TwapService(repo, gateways, bus, clock, journal),
        TwapScheduler(repo, bus, clock, journal, settings),
        TwapOrdering(repo, gateways, bus, clock, journal, settings),
    )  # fmt: skip
    for topic in ("twap.command", "twap.slice", "twap.event"):
        rig.published[topic], handler = collector()
        await bus.subscribe(topic, handler)
    yield rig
    await rig.ordering.close()
    await rig.scheduler.close()
    await bus.close()
