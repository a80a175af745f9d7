"""Funding history through ccxt's unified API only where the sign of its ``amount`` is known; a clear refusal else."""

from __future__ import annotations

import pytest

from tests.fakes.exchange import FakeExchange
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import UnifiedCcxtGateway
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.exchanges.settings import ExchangeSettings
from tradewind.application.ports.exchange import FundingHistory, FundingUnsupported


async def test_an_exchange_whose_funding_sign_is_unknown_is_refused_by_name() -> None:
    gateway = UnifiedCcxtGateway("okx", ExchangeSettings(type="okx", env="mainnet"), None, WallClock())
    try:
        with pytest.raises(FundingUnsupported, match="okx"):
            await gateway.fetch_funding(0)
    finally:
        await gateway.close()


async def test_the_publishing_wrapper_passes_funding_through_or_refuses() -> None:
    class NoFunding:
        name = "plain"

    plain = PublishingGateway(NoFunding(), InMemoryBus(), WallClock())  # type: ignore[arg-type]
    with pytest.raises(FundingUnsupported, match="plain"):
        await plain.fetch_funding(0)
    fake = FakeExchange("sim")
    wrapped = PublishingGateway(fake, InMemoryBus(), WallClock())
    assert isinstance(wrapped, FundingHistory) and await wrapped.fetch_funding(0) == [] and fake.funding_asks == 1
