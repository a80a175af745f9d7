"""SqlSubscriptionRepository: the SubscriptionRepository port (``md_subscriptions`` table)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.adapters.store.sqlalchemy.repositories import _SqlRepository, _text
from tradewind.adapters.store.sqlalchemy.subscription_tables import md_subscriptions as table
from tradewind.application.ports.repositories import StoredSubscription
from tradewind.domain.market import InstrumentRef
from tradewind.domain.values import Category


class SqlSubscriptionRepository(_SqlRepository):
    """One row per subscription; saving one again updates its depth."""

    async def save_subscription(self, subscription: StoredSubscription) -> None:
        ref = subscription.ref
        row = {
            "exchange": _text(ref.exchange, 32, "exchange"),
            "category": Category(ref.category).value,
            "symbol": _text(ref.symbol, 64, "symbol"),
            "matching_key": ref.matching_key[:64],
            "depth": subscription.depth,
            "created": datetime.now(UTC),
        }
        dialect = postgresql if self._db.backend == "postgresql" else sqlite
        statement = dialect.insert(table).values(row)
        upsert = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns.keys()), set_={"depth": statement.excluded.depth}
        )
        await asyncio.to_thread(self._run, upsert)

    async def delete_subscription(self, ref: InstrumentRef) -> None:
        statement = delete(table).where(
            table.c.exchange == ref.exchange,
            table.c.category == ref.category.value,
            table.c.symbol == ref.symbol,
            table.c.matching_key == ref.matching_key,
        )
        await asyncio.to_thread(self._run, statement)

    async def stored_subscriptions(self) -> list[StoredSubscription]:
        rows = await asyncio.to_thread(self._fetch, select(table).order_by(table.c.created))
        return [
            StoredSubscription(InstrumentRef(r.exchange, Category(r.category), r.symbol, r.matching_key), r.depth)
            for r in rows
        ]

    def _run(self, statement: object) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(statement)  # type: ignore[call-overload]
