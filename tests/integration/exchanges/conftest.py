"""Gateway fixtures: the seeded Bybit-protocol server on loopback (built by tests/support/bybit_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.bybit_server import Served, serve
from tradewind.adapters.clock import WallClock


@pytest.fixture
async def sim_server() -> AsyncIterator[Served]:
    served = await serve(WallClock())
    yield served
    await served.runner.cleanup()
