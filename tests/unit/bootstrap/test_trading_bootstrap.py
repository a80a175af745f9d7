"""The trader's composition: ``trader.exchanges`` routes a signal's exchange word to a configured entry, or stops the
build naming a missing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.exchange import FakeExchange
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.trading import trader
from tradewind.settings import ConfigError, Settings


def platform(tmp_path: Path, routes: dict[str, str]) -> tuple[Platform, dict[str, PublishingGateway]]:
    settings = Settings.model_validate(
        {"storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"}, "trader": {"exchanges": routes}}
    )
    clock, bus = SimClock(), InMemoryBus()
    return Platform(settings, clock, bus, distributed=False), {
        "simsrv": PublishingGateway(FakeExchange("simsrv"), bus, clock)
    }


def test_a_signal_exchange_word_trades_through_the_entry_it_is_routed_to(tmp_path: Path) -> None:
    built, gateways = platform(tmp_path, {"sim": "simsrv"})
    service = trader(built, gateways).service
    assert service.exchanges == ["sim", "simsrv"]


def test_a_route_to_a_missing_entry_stops_the_build_naming_it(tmp_path: Path) -> None:
    built, gateways = platform(tmp_path, {"sim": "nope"})
    with pytest.raises(ConfigError, match=r"trader.exchanges.sim: no exchanges entry 'nope'"):
        trader(built, gateways)
