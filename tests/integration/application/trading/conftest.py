"""Fixtures of the trader's catch-up tests: the simulated venue's rig on each database, and a gateway through ccxt to
the Bybit face served on loopback (a module's own fixture of the same name wins)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.adapters.exchanges.gateway_support import ccxt_gateway
from tests.support.bybit_server import Served
from tests.support.venue_rig import VenueRig, venue_rig
from tradewind.adapters.exchanges.ccxt import CcxtGateway
from tradewind.adapters.store.sqlalchemy.database import Database


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[VenueRig]:
    async with venue_rig(database) as the_rig:
        yield the_rig


@pytest.fixture
async def gateway(sim_server: Served) -> AsyncIterator[CcxtGateway]:
    gw = ccxt_gateway(sim_server.url, max_retries=0)
    await gw.load_instruments()
    yield gw
    await gw.close()
