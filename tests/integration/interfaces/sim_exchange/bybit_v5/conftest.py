from collections.abc import AsyncIterator

import pytest

from tests.support.bybit_server import Served, serve
from tradewind.adapters.clock import SimClock, WallClock


@pytest.fixture
async def wall_server() -> AsyncIterator[Served]:
    """The server on wall time, for real clients that stamp requests with their own clock."""
    served = await serve(WallClock())
    yield served
    await served.runner.cleanup()


@pytest.fixture
async def frozen_server() -> AsyncIterator[Served]:
    """The server on a simulated clock that only moves when told: time windows become exact."""
    served = await serve(SimClock())
    yield served
    await served.runner.cleanup()
