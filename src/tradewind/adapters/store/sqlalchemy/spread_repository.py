"""SqlSpreadRepository: the SpreadRepository port; a spread, its request and both legs in one transaction."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from tradewind.adapters.store.sqlalchemy.repositories import _SqlRepository
from tradewind.adapters.store.sqlalchemy.spread_tables import spread_funding, spread_legs, spread_requests, spreads
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.spread import FundingWrite, SpreadTrade, SpreadWrite, StoredSpreads
from tradewind.domain.market import InstrumentRef
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.orders import (
    SpreadAction,
    SpreadOrder,
    Verdict,
    order_from_payload,
    order_to_payload,
    reply_from_payload,
    reply_to_payload,
)
from tradewind.domain.spread.position import Spread, SpreadState
from tradewind.domain.values import Category

_PENDING = "pending"  # the verdict of an intent: the order begun, not yet answered
_REPLIES_KEPT = 10_000  # answers reloaded at start, newest first: enough to recognise any retry still in flight
_FUNDING_KEPT = 10_000  # funding ids reloaded at start, newest first: a poll reads from the newest one on


class SqlSpreadRepository(_SqlRepository):
    async def write(self, change: SpreadWrite) -> None:
        await self._guarded(self._write_change, change)

    async def write_funding(self, change: FundingWrite) -> None:
        await self._guarded(self._write_funding, change)

    async def save_intent(self, order: SpreadOrder) -> None:
        await self._guarded(self._save_intent, order)

    async def load(self, *, closed_since_ns: int | None = None) -> StoredSpreads:
        stored: StoredSpreads = await self._guarded(self._load, closed_since_ns)
        return stored

    async def spreads(self, *, open_only: bool = False, limit: int = 100) -> list[Spread]:
        query = select(spreads).order_by(spreads.c.opened_ns.desc()).limit(limit)
        if open_only:
            query = query.where(spreads.c.state != SpreadState.CLOSED.value)
        rows = await self._guarded(self._fetch, query)
        return [_spread(r._mapping) for r in rows]

    async def _guarded(self, call: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(call, *args)
        except OperationalError as exc:  # refused, dropped, shut down: the database will be back
            raise StoreUnavailable(_reason(exc)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(_reason(exc)) from exc
            raise

    def _upsert(self, spread: Spread) -> Any:
        dialect = postgresql if self._db.backend == "postgresql" else sqlite
        row = _spread_row(spread)
        upsert = dialect.insert(spreads).values(row)
        return upsert.on_conflict_do_update(
            index_elements=["spread_id"], set_={k: upsert.excluded[k] for k in row if k != "spread_id"}
        )

    def _write_funding(self, change: FundingWrite) -> None:
        dialect = postgresql if self._db.backend == "postgresql" else sqlite
        p = change.payment
        row = {
            "funding_id": p.funding_id, "exchange": p.exchange, "category": p.category.value, "symbol": p.symbol,
            "amount": p.amount, "allocated": p.amount if change.spreads else Decimal(0), "ts_ns": p.ts_ns,
        }  # fmt: skip
        insert = dialect.insert(spread_funding).values(row).on_conflict_do_nothing()
        with self._db.engine.begin() as conn:
            if conn.execute(insert.returning(spread_funding.c.funding_id)).first() is None:
                return  # counted before: its spreads already hold it
            for spread in change.spreads:
                conn.execute(self._upsert(spread))

    def _write_change(self, change: SpreadWrite) -> None:
        dialect = postgresql if self._db.backend == "postgresql" else sqlite
        with self._db.engine.begin() as conn:
            conn.execute(self._upsert(change.spread))
            reply = change.reply
            if reply is None:
                return
            request = {
                "request_id": reply.request_id, "spread_id": change.spread.spread_id,
                "action": change.action.value if change.action is not None else "",
                "verdict": reply.verdict.value, "reason": reply.reason, "ts_ns": change.ts_ns,
                "reply": reply_to_payload(reply),
            }  # fmt: skip
            insert = dialect.insert(spread_requests).values(request)
            conn.execute(  # an answer replaces the intent saved before the first leg, never another answer
                insert.on_conflict_do_update(
                    index_elements=["request_id"],
                    set_={k: insert.excluded[k] for k in ("action", "verdict", "reason", "ts_ns", "reply")},
                    where=spread_requests.c.verdict == _PENDING,
                )
            )
            for index, leg in enumerate(reply.legs):
                values = {
                    "request_id": reply.request_id, "leg": index, "exchange": leg.exchange,
                    "category": leg.category.value, "symbol": leg.symbol, "side": leg.side.value, "qty": leg.qty,
                    "filled_qty": leg.filled_qty, "price": leg.price, "fee": leg.fee, "status": leg.status.value,
                    "client_order_id": leg.client_order_id, "unwound_qty": leg.unwound_qty,
                    "unwind_price": leg.unwind_price, "detail": leg.detail,
                }  # fmt: skip
                conn.execute(dialect.insert(spread_legs).values(values).on_conflict_do_nothing())

    def _save_intent(self, order: SpreadOrder) -> None:
        dialect = postgresql if self._db.backend == "postgresql" else sqlite
        row = {
            "request_id": order.request_id, "spread_id": order.spread_id, "action": order.action.value,
            "verdict": _PENDING, "reason": "", "ts_ns": order.ts_ns, "reply": {}, "request": order_to_payload(order),
        }  # fmt: skip
        with self._db.engine.begin() as conn:
            conn.execute(dialect.insert(spread_requests).values(row).on_conflict_do_nothing())

    def _load(self, closed_since_ns: int | None) -> StoredSpreads:
        not_closed = spreads.c.state != SpreadState.CLOSED.value
        recent = not_closed
        if closed_since_ns is not None:
            recent = or_(not_closed, spreads.c.closed_ns >= closed_since_ns)
        with self._db.engine.connect() as conn:
            reloaded = [_spread(r._mapping) for r in conn.execute(select(spreads).where(recent)).all()]
            traded = conn.execute(
                select(spread_requests.c.spread_id, spread_requests.c.action, spread_requests.c.ts_ns,
                       spread_requests.c.reply)
                .where(spread_requests.c.verdict == Verdict.ACK.value)
                .where(spread_requests.c.spread_id.in_(select(spreads.c.spread_id).where(recent)))
                .order_by(spread_requests.c.ts_ns)
            ).all()  # fmt: skip
            answered = conn.execute(
                select(spread_requests.c.reply)
                .where(spread_requests.c.verdict != _PENDING)
                .order_by(spread_requests.c.ts_ns.desc())
                .limit(_REPLIES_KEPT)
            ).all()
            begun = conn.execute(
                select(spread_requests.c.request)
                .where(spread_requests.c.verdict == _PENDING)
                .order_by(spread_requests.c.ts_ns)
            ).all()
            counted = conn.execute(
                select(spread_funding.c.funding_id).order_by(spread_funding.c.ts_ns.desc()).limit(_FUNDING_KEPT)
            ).all()
            since = conn.execute(select(func.max(spread_funding.c.ts_ns))).scalar()
        replies = [reply_from_payload(r.reply) for r in answered]
        return StoredSpreads(
            [s for s in reloaded if s.state is not SpreadState.CLOSED],
            {r.request_id: r for r in replies},
            [order_from_payload(r.request) for r in begun],
            {r.funding_id for r in counted},
            None if since is None else int(since),
            [s for s in reloaded if s.state is SpreadState.CLOSED],
            [SpreadTrade(r.spread_id, SpreadAction(r.action), int(r.ts_ns), reply_from_payload(r.reply))
             for r in traded],
        )  # fmt: skip


def _reason(exc: DBAPIError) -> str:
    return " ".join(str(exc.orig if exc.orig is not None else exc).split())[:300]


def _spread_row(s: Spread) -> dict[str, Any]:
    long, short = s.pair.long, s.pair.short
    return {
        "spread_id": s.spread_id, "matching_key": long.matching_key[:64],
        "long_exchange": long.exchange, "long_category": long.category.value, "long_symbol": long.symbol,
        "short_exchange": short.exchange, "short_category": short.category.value, "short_symbol": short.symbol,
        "state": s.state.value, "qty": s.qty, "long_cost": s.long_cost, "short_proceeds": s.short_proceeds,
        "realised": s.realised, "fees": s.fees, "funding": s.funding, "traded_qty": s.traded_qty,
        "opened_ns": s.opened_ns, "updated_ns": s.updated_ns, "closed_ns": s.closed_ns,
    }  # fmt: skip


def _spread(r: Any) -> Spread:
    key = r["matching_key"]
    long = InstrumentRef(r["long_exchange"], Category(r["long_category"]), r["long_symbol"], key)
    short = InstrumentRef(r["short_exchange"], Category(r["short_category"]), r["short_symbol"], key)
    return Spread(
        r["spread_id"], Pair(long, short), SpreadState(r["state"]), r["opened_ns"], r["qty"], r["long_cost"],
        r["short_proceeds"], r["realised"], r["fees"], r["funding"], r["traded_qty"], r["updated_ns"], r["closed_ns"],
    )  # fmt: skip
