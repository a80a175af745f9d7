"""FakeSpreadRepository: the SpreadRepository port in memory; ``down = True`` makes every call StoreUnavailable."""

from __future__ import annotations

from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.spread import FundingWrite, SpreadRepository, SpreadWrite, StoredSpreads
from tradewind.domain.spread.orders import FundingPayment, SpreadOrder, SpreadReply
from tradewind.domain.spread.position import Spread, SpreadState


class FakeSpreadRepository:
    def __init__(self) -> None:
        self.down = False
        self.rows: dict[str, Spread] = {}
        self.replies: dict[str, SpreadReply] = {}
        self.writes: list[SpreadWrite] = []
        self.intents: dict[str, SpreadOrder] = {}
        self.funding: dict[str, FundingPayment] = {}

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("fake database is down")

    async def write(self, change: SpreadWrite) -> None:
        self._check()
        self.writes.append(change)
        self.rows[change.spread.spread_id] = change.spread
        if change.reply is not None:
            self.replies.setdefault(change.reply.request_id, change.reply)
            self.intents.pop(change.reply.request_id, None)

    async def write_funding(self, change: FundingWrite) -> None:
        self._check()
        if change.payment.funding_id in self.funding:
            return
        self.funding[change.payment.funding_id] = change.payment
        for spread in change.spreads:
            self.rows[spread.spread_id] = spread

    async def save_intent(self, order: SpreadOrder) -> None:
        self._check()
        if order.request_id not in self.replies:
            self.intents[order.request_id] = order

    async def load(self) -> StoredSpreads:
        self._check()
        opened = [s for s in self.rows.values() if s.state is not SpreadState.CLOSED]
        since = max((p.ts_ns for p in self.funding.values()), default=None)
        return StoredSpreads(opened, dict(self.replies), list(self.intents.values()), set(self.funding), since)

    async def spreads(self, *, open_only: bool = False, limit: int = 100) -> list[Spread]:
        self._check()
        rows = sorted(self.rows.values(), key=lambda s: s.opened_ns, reverse=True)
        if open_only:
            rows = [s for s in rows if s.state is not SpreadState.CLOSED]
        return rows[:limit]


_conforms: SpreadRepository = FakeSpreadRepository()
