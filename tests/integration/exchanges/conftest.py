"""Gateway fixtures: the seeded Bybit-protocol server on loopback (reusing tests/integration/bybit_v5 helpers)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "bybit_v5"))  # bybit_support, ws_support: one copy

from bybit_support import Served, serve

from tradewind.adapters.clock import WallClock


@pytest.fixture
async def sim_server() -> AsyncIterator[Served]:
    served = await serve(WallClock())
    yield served
    await served.runner.cleanup()
