"""FakeSpreadRepository: the SpreadRepository port in memory; ``down = True`` makes every call StoreUnavailable."""

from __future__ import annotations

from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.spread import (
    FundingWrite,
    SpreadRepository,
    SpreadTrade,
    SpreadWrite,
    StoredSpreads,
)
from tradewind.domain.spread.orders import FundingPayment, SpreadOrder, SpreadReply, Verdict
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

    async def load(self, *, closed_since_ns: int | None = None) -> StoredSpreads:
        self._check()
        opened = [s for s in self.rows.values() if s.state is not SpreadState.CLOSED]
        closed = [
            s for s in self.rows.values()
            if s.closed_ns is not None and closed_since_ns is not None and s.closed_ns >= closed_since_ns
        ]  # fmt: skip
        reloaded = {s.spread_id for s in (*opened, *closed)}
        trades: dict[str, SpreadTrade] = {}
        for w in self.writes:  # an answer written again (a retried flush) is one trade
            reply, action = w.reply, w.action
            if reply is None or action is None or reply.verdict is not Verdict.ACK:
                continue
            if w.spread.spread_id in reloaded:
                trades.setdefault(reply.request_id, SpreadTrade(w.spread.spread_id, action, w.ts_ns, reply))
        since = max((p.ts_ns for p in self.funding.values()), default=None)
        return StoredSpreads(
            opened, dict(self.replies), list(self.intents.values()), set(self.funding), since, closed,
            sorted(trades.values(), key=lambda t: t.ts_ns),
        )  # fmt: skip

    async def spreads(self, *, open_only: bool = False, limit: int = 100) -> list[Spread]:
        self._check()
        rows = sorted(self.rows.values(), key=lambda s: s.opened_ns, reverse=True)
        if open_only:
            rows = [s for s in rows if s.state is not SpreadState.CLOSED]
        return rows[:limit]


_conforms: SpreadRepository = FakeSpreadRepository()
