"""Moves the venue's perpetuals with the clock and publishes each funding settlement as ``funding.payment``."""

from __future__ import annotations

import asyncio

import structlog

from tradewind.application.lifecycle import sleep_unless_stopped
from tradewind.application.messages.spread import FUNDING, funding_topic
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.venue.model import Transaction
from tradewind.application.venue.service import SimVenue
from tradewind.domain.instruments import Instrument
from tradewind.domain.spread.orders import FundingPayment

log = structlog.get_logger(__name__)


class PerpClock:
    """Each ``interval_s`` of the clock: ``venue.tick()`` (marks, funding, liquidations), then the payments out."""

    def __init__(self, venue: SimVenue, clock: Clock, bus: Bus | None, exchange: str, interval_s: float = 1.0) -> None:
        self.venue, self.clock, self.bus, self.exchange = venue, clock, bus, exchange
        self.interval_s = interval_s
        self.published = 0
        self._pending: list[FundingPayment] = []
        self._stopped = asyncio.Event()
        venue.add_funding_listener(self._on_funding)

    def _on_funding(self, instrument: Instrument, txn: Transaction) -> None:
        self._pending.append(
            FundingPayment(
                txn.transaction_id, self.exchange, instrument.category, instrument.symbol, txn.funding,
                txn.ts_ms * 1_000_000,
            )
        )  # fmt: skip

    async def step(self) -> None:
        """One tick, and the funding it settled published (in settlement order)."""
        self.venue.tick()
        pending, self._pending = self._pending, []
        for payment in pending:
            if self.bus is not None:
                await self.bus.publish(funding_topic(payment), FUNDING.encode(payment))
            self.published += 1
            log.info("venue.funding", symbol=payment.symbol, amount=str(payment.amount), id=payment.funding_id)

    async def run(self) -> None:
        while await sleep_unless_stopped(self.clock, self.interval_s, self._stopped):
            await self.step()

    async def stop(self) -> None:
        self._stopped.set()
