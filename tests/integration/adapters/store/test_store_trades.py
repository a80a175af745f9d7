"""The trades table on SQLite and PostgreSQL: an exact round trip, the key's unique index, live and recent lists."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository
from tradewind.application.ports.trades import TradeConflict
from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, Side

D = Decimal
NS = 1_767_225_600 * 10**9


def pending(key: str = "k1") -> Trade:
    return Trade(
        None, key, NS, "sim", Category.SPOT, "BTCUSDT", Side.BUY, D("0.000799"), TradeStatus.PENDING,
        {"trailing_stop": D("2.8"), "breakeven": D("1.5")},
    )  # fmt: skip


async def test_a_trade_round_trips_exactly_through_open_and_close(database: Database) -> None:
    repo = SqlTradeRepository(database)
    stored = await repo.insert(pending())
    assert stored.id is not None and await repo.by_key("k1") == stored
    opened = stored.opened(D("0.000799"), D("100010.1"), D("0.079908")).followed(D("123456.7"))
    await repo.save(replace(opened, protected_on_exchange=True, note="n"))
    assert await repo.live() == [replace(opened, protected_on_exchange=True, note="n")]
    closed = opened.closed("trailing_stop", D("120000.1"), D("0.09588"), NS + 10**12)
    await repo.save(closed)
    assert await repo.live() == [] and await repo.recent() == [closed]
    # A trade's own partial TP / SL pair (0018) and a close by its fills round-trip too.
    paired = replace(opened, tp_order_id="tp-" + "9" * 61, sl_order_id="sl-1")
    await repo.save(paired)
    assert await repo.by_key("k1") == paired
    by_stop = paired.closed("stop_loss", D("99000.5"), D("0.05"), NS + 5, by_exchange=True)
    await repo.save(by_stop)
    assert await repo.by_key("k1") == by_stop and by_stop.closed_by_exchange
    assert closed.pnl() == (D("120000.1") - D("100010.1")) * D("0.000799") - D("0.079908") - D("0.09588")


async def test_a_taken_key_is_refused_and_a_deleted_trade_is_gone(database: Database) -> None:
    repo = SqlTradeRepository(database)
    first = await repo.insert(pending())
    with pytest.raises(TradeConflict):
        await repo.insert(pending())
    second = await repo.insert(pending("k2"))
    assert [t.key for t in await repo.recent()] == ["k2", "k1"]
    assert first.id is not None
    await repo.delete(first.id)
    assert await repo.live() == [second]
