"""The trading engine's book seen from another process: asked over ``rpc.spreads``."""

from __future__ import annotations

from tradewind.application.messages.codec import request
from tradewind.application.messages.spread import SPREADS_CALL
from tradewind.application.ports.bus import Bus
from tradewind.domain.spread.orders import SpreadBook, SpreadQuery


class BusSpreadView:
    def __init__(self, bus: Bus, *, timeout_s: float = 5.0) -> None:
        self._bus = bus
        self._timeout_s = timeout_s

    async def book(self, query: SpreadQuery) -> SpreadBook:
        return await request(self._bus, SPREADS_CALL, query, timeout=self._timeout_s)
