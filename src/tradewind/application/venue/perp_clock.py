"""Moves the venue's perpetuals with the clock and publishes each funding settlement: the settlement itself as
``funding.rate`` and each account's payment as ``funding.payment``."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import structlog

from tradewind.application.lifecycle import sleep_unless_stopped
from tradewind.application.messages.spread import FUNDING, SETTLEMENT, funding_topic, settlement_topic
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.venue.model import FundingRecord, Transaction
from tradewind.application.venue.service import SimVenue
from tradewind.domain.instruments import Instrument
from tradewind.domain.spread.orders import FundingPayment, FundingSettlement, settlement_id

log = structlog.get_logger(__name__)


class PerpClock:
    """Each ``interval_s`` of the clock: ``venue.tick()`` (marks, funding, liquidations), then the settlements and
    payments out."""

    def __init__(self, venue: SimVenue, clock: Clock, bus: Bus | None, exchange: str, interval_s: float = 1.0) -> None:
        self.venue, self.clock, self.bus, self.exchange = venue, clock, bus, exchange
        self.interval_s = interval_s
        self.published = 0
        self.settlements = 0
        self._pending: list[FundingPayment | FundingSettlement] = []
        self._stopped = asyncio.Event()
        venue.add_funding_listener(self._on_funding)
        venue.add_settlement_listener(self._on_settlement)

    def _on_funding(self, instrument: Instrument, txn: Transaction) -> None:
        self._pending.append(
            FundingPayment(
                txn.transaction_id, self.exchange, instrument.category, instrument.symbol, txn.funding,
                txn.ts_ms * 1_000_000,
            )
        )  # fmt: skip

    def _on_settlement(self, instrument: Instrument, record: FundingRecord, mark: Decimal) -> None:
        self._pending.append(
            FundingSettlement(
                settlement_id(self.exchange, record.symbol, record.ts_ms), self.exchange, instrument.category,
                record.symbol, record.rate, mark, record.ts_ms * 1_000_000,
            )
        )  # fmt: skip

    async def step(self) -> None:
        """One tick, and the funding it settled published (in settlement order)."""
        self.venue.tick()
        pending, self._pending = self._pending, []
        for event in pending:
            if isinstance(event, FundingSettlement):
                if self.bus is not None:
                    await self.bus.publish(settlement_topic(event), SETTLEMENT.encode(event))
                self.settlements += 1
                log.info("venue.funding_settled", symbol=event.symbol, rate=str(event.rate), mark=str(event.mark))
                continue
            if self.bus is not None:
                await self.bus.publish(funding_topic(event), FUNDING.encode(event))
            self.published += 1
            log.info("venue.funding", symbol=event.symbol, amount=str(event.amount), id=event.funding_id)

    async def run(self) -> None:
        while await sleep_unless_stopped(self.clock, self.interval_s, self._stopped):
            await self.step()

    async def stop(self) -> None:
        self._stopped.set()
