"""The deals table on SQLite and PostgreSQL: round trip, the client id and the one-open-position indexes, finished
deals never rewritten."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository, _row
from tradewind.adapters.store.sqlalchemy.deal_tables import deals as table
from tradewind.application.ports.deals import DealConflict
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import CloseReason, Deal, DealStatus, Protection
from tradewind.domain.values import Category

D = Decimal
NS = 1_767_225_600 * 10**9


def buy(cid: str = "sgb1", *, source: str = "trend-btc", status: DealStatus = DealStatus.OPEN) -> Deal:
    return Deal(
        None, NS, "sim", Category.LINEAR, "BTCUSDT", source, f"sig-{cid}", Action.BUY, cid, status, D("1000"),
        "x-1", D("0.016"), D("60010.5"), D("0.528092"), D("61810.8"), D("58810.3"), protection=Protection.EXCHANGE,
        tp_order_id="00000000-0000-4000-8000-00000000000a", sl_order_id="00000000-0000-4000-8000-00000000000b",
    )  # fmt: skip


async def test_a_deal_round_trips_exactly_and_closes(database: Database) -> None:
    repo = SqlDealRepository(database)
    stored = await repo.insert(buy())
    assert stored.id is not None
    assert await repo.by_client_order_id("sim", "sgb1") == stored
    assert await repo.open_position("sim", Category.LINEAR, "BTCUSDT", "trend-btc") == stored
    closed = stored.closed(CloseReason.STOP_LOSS, D("58800"), D("0.5174"), NS + 10**12)
    await repo.save(closed)
    assert await repo.by_client_order_id("sim", "sgb1") == closed
    assert await repo.open_position("sim", Category.LINEAR, "BTCUSDT", "trend-btc") is None
    assert await repo.last_closed_ns("sim", Category.LINEAR, "BTCUSDT", "trend-btc") == NS + 10**12
    assert await repo.open_deals() == []
    assert closed.realised_pnl() == (D("58800") - D("60010.5")) * D("0.016") - D("0.528092") - D("0.5174")


async def test_a_second_open_position_of_a_symbol_and_source_is_refused_by_the_repository(database: Database) -> None:
    repo = SqlDealRepository(database)
    await repo.insert(buy("sgb1"))
    with pytest.raises(DealConflict):
        await repo.insert(buy("sgb2", status=DealStatus.PENDING))
    with pytest.raises(DealConflict):  # the same client id again, whatever its state
        await repo.insert(replace(buy("sgb1"), status=DealStatus.CLOSED, source="other"))
    await repo.insert(buy("sgb3", source="other"))  # another source: its own position
    assert len(await repo.open_deals()) == 2


async def test_the_database_itself_refuses_a_second_open_row_when_the_code_check_is_bypassed(
    database: Database,
) -> None:
    first, second = _row(buy("sgb1")), _row(buy("sgb2", status=DealStatus.CLOSING))
    with database.engine.begin() as conn:
        conn.execute(insert(table), first)
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert(table), second)
    closed = {**second, "status": DealStatus.CLOSED.value}
    with database.engine.begin() as conn:  # a closed BUY holds no place
        conn.execute(insert(table), closed)
    sell = {**_row(buy("sgs1")), "action": Action.SELL.value, "status": DealStatus.PENDING.value}
    with database.engine.begin() as conn:  # nor does a SELL
        conn.execute(insert(table), sell)


async def test_a_finished_deal_is_never_rewritten_and_a_close_recorded_on_it_stores_nothing(
    database: Database,
) -> None:
    repo = SqlDealRepository(database)
    stored = await repo.insert(buy())
    closed = stored.closed(CloseReason.MANUAL, D("61000"), D("0.5"), NS + 10**12)
    await repo.save(closed)
    again = stored.closed(CloseReason.STOP_LOSS, D("58000"), D("0.4"), NS + 2 * 10**12)  # a stale second close
    with pytest.raises(DealConflict, match="finished"):
        await repo.save(again)
    sell = replace(buy("sgx1"), action=Action.SELL, status=DealStatus.FILLED, protection=Protection.NONE)
    with pytest.raises(DealConflict, match="finished"):
        await repo.insert(sell, updating=[again])
    assert await repo.by_client_order_id("sim", "sgb1") == closed  # the first close stands
    assert await repo.by_client_order_id("sim", "sgx1") is None  # rolled back with the refused update


async def test_the_best_price_is_only_raised_and_a_save_of_an_older_copy_never_lowers_it(database: Database) -> None:
    repo = SqlDealRepository(database)
    stored = await repo.insert(buy())
    assert stored.id is not None
    await repo.raise_best_price(stored.id, D("61000"), NS + 5)
    await repo.raise_best_price(stored.id, D("9999.5"), NS + 9)  # lower (and shorter as text: SQLite's is a string)
    await repo.save(replace(stored, note="a copy read before the ratchet moved"))
    again = await repo.by_client_order_id("sim", "sgb1")
    assert again is not None and (again.best_price, again.best_ns, again.note) == (
        D("61000"), NS + 5, "a copy read before the ratchet moved",
    )  # fmt: skip
    closed = again.closed(CloseReason.TRAILING_STOP, D("60390"), D("0.5"), NS + 10**12)
    await repo.save(closed)
    await repo.raise_best_price(stored.id, D("62000"), NS + 11)  # a finished deal keeps the best it closed with
    final = await repo.by_client_order_id("sim", "sgb1")
    assert final == closed and final.trailing_stop_hit and final.best_price == D("61000")
