from collections.abc import AsyncIterator

import pytest

from tests.support.bybit_server import Served
from tradewind.adapters.clock import SimClock, WallClock

from .binance_support import serve_binance


@pytest.fixture
async def wall_server() -> AsyncIterator[Served]:
    """Both protocols on wall time, for real ccxt clients that stamp requests with their own clock."""
    served = await serve_binance(WallClock())
    yield served
    await served.runner.cleanup()


@pytest.fixture
async def frozen_server() -> AsyncIterator[Served]:
    """Both protocols on a simulated clock that only moves when told: time windows become exact."""
    served = await serve_binance(SimClock())
    yield served
    await served.runner.cleanup()
