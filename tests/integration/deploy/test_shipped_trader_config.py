"""The shipped distributed config, as the trader service builds it: a signal of exchange ``sim`` is traded on the
sim-exchange's Bybit face with the venue's demo keys (the compose defaults), not dead-lettered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from tests.support.bybit_server import Served, secret_of, seed_books, serve
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.trading.service import Outcome
from tradewind.application.venue import AccountSettings, SimVenue
from tradewind.bootstrap.exchanges import ExchangeConnections, publishing_gateways
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.trading import trader
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = load_settings(ROOT / "deploy" / "k8s" / "tradewind.yaml")


@pytest.fixture
async def sim_exchange() -> AsyncIterator[Served]:
    """The sim-exchange with the shipped venue accounts (the demo account), plus a maker quoting the books."""
    rich = {"USDT": Decimal(10**9), "BTC": Decimal(500), "ETH": Decimal(5000)}
    maker = AccountSettings(api_key="maker", api_secret=SecretStr(secret_of("maker")), balances=rich)
    accounts = SHIPPED.venue.model_copy(update={"accounts": (*SHIPPED.venue.accounts, maker)})
    clock = WallClock()
    venue = SimVenue([MatchingEngine(i) for i in default_instruments()], clock, accounts)
    seed_books(venue)
    served = await serve(clock, venue=venue)
    yield served
    await served.runner.cleanup()


def shipped_settings(sim_url: str) -> Settings:
    """The shipped config with the sim-exchange's host name pointed at the loopback server."""
    entries = {
        name: entry.model_copy(update={"url": sim_url}) if entry.url == "http://sim-exchange:8080" else entry
        for name, entry in SHIPPED.exchanges.entries.items()
    }
    return SHIPPED.model_copy(update={"exchanges": SHIPPED.exchanges.model_copy(update={"entries": entries})})


async def test_a_sim_signal_is_traded_on_the_sim_exchanges_bybit_face_with_the_compose_demo_keys(
    sim_exchange: Served, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-tradewind"]["environment"]
    for name, value in shared.items():
        if name.startswith("TRADEWIND_SIMSRV_"):
            monkeypatch.setenv(name, value[value.index(":-") + 2 : -1])  # the ${VAR:-default} default
    platform = Platform(shipped_settings(sim_exchange.url), WallClock(), InMemoryBus(), True, _database=database)
    gateways = publishing_gateways(platform)  # no venue in this process: the `sim` entry is skipped
    connections = ExchangeConnections(platform, gateways, follow_orders=False, in_background=False)
    await connections.start()
    try:
        service = trader(platform, gateways).service
        handled = await service.handle(signal(exchange="sim", price="60000", amount="1000"))
    finally:
        await connections.stop()
    assert handled.outcome is Outcome.OPENED and handled.deal is not None
    demo = SHIPPED.venue.accounts[0].api_key
    assert sim_exchange.venue.position_view(demo, "BTCUSDT").size == handled.deal.qty > 0
