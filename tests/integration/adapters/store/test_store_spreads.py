"""Spreads, their requests and legs on SQLite and PostgreSQL: one transaction per trade, exact, reloaded at start."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.spread_repository import SqlSpreadRepository
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.spread import FundingWrite, SpreadWrite
from tradewind.domain.market import InstrumentRef
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.orders import (
    FundingPayment,
    LegOutcome,
    LegStatus,
    SpreadAction,
    SpreadOrder,
    SpreadReply,
    Verdict,
)
from tradewind.domain.spread.position import SpreadState, add_entry, add_exit, add_funding, opening
from tradewind.domain.values import Category, Side

PAIR = Pair(
    InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT"),
    InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT"),
)


def _reply(request_id: str, side: Side) -> SpreadReply:
    legs = tuple(
        LegOutcome(
            "sim",
            category,
            "BTCUSDT",
            s,
            Decimal("0.01"),
            Decimal("0.01"),
            Decimal("100000.1"),
            Decimal("0.000000000000000001"),
            LegStatus.SIMULATED,
        )
        for category, s in ((Category.SPOT, side), (Category.LINEAR, side.opposite))
    )
    return SpreadReply(request_id, Verdict.ACK, "", legs)


async def test_a_funding_payment_is_stored_with_its_spreads_once_and_reloaded(database: Database) -> None:
    repo = SqlSpreadRepository(database)
    opened = add_entry(opening("sp-f", PAIR, 1), Decimal("0.01"), Decimal(100_000), Decimal(100_100), fee=Decimal(0),
                       now_ns=2)  # fmt: skip
    await repo.write(SpreadWrite(opened, None, None, 2))
    payment = FundingPayment("txn-1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.123456789012345678"), 10)
    funded = add_funding(opened, payment.amount, 11)
    await repo.write_funding(FundingWrite(payment, (funded,)))
    twice = add_funding(funded, payment.amount, 12)  # a second count of the same id must not land
    await repo.write_funding(FundingWrite(payment, (twice,)))
    await repo.write_funding(FundingWrite(replace(payment, funding_id="txn-0", ts_ns=5)))  # held by no spread
    stored = await repo.load()
    assert stored.open == [funded] and stored.open[0].funding == Decimal("0.123456789012345678")
    assert stored.funding_ids == {"txn-0", "txn-1"} and stored.funding_since_ns == 10


async def test_a_spread_is_written_with_its_legs_updated_and_reloaded_exactly(database: Database) -> None:
    repo = SqlSpreadRepository(database)
    opened = add_entry(
        opening("sp-1", PAIR, 1),
        Decimal("0.01"),
        Decimal("100000.1"),
        Decimal("100100.2"),
        fee=Decimal("1.5"),
        now_ns=2,
    )
    first = SpreadWrite(opened, _reply("r1", Side.BUY), SpreadAction.OPEN, 2)
    await repo.write(first)
    await repo.write(first)  # flushed again after an uncertain write: nothing doubles
    stored = await repo.load()
    assert stored.open == [opened] and stored.replies == {"r1": first.reply}
    closed = add_exit(opened, Decimal("0.01"), Decimal("100050"), Decimal("100060"), fee=Decimal("1.5"), now_ns=3)
    await repo.write(SpreadWrite(closed, _reply("r2", Side.SELL), SpreadAction.CLOSE, 3))
    assert (await repo.load()).open == []
    listed = await repo.spreads()
    assert listed == [closed] and listed[0].state is SpreadState.CLOSED
    assert listed[0].realised == closed.realised  # exact to the last place
    assert (await repo.spreads(open_only=True)) == []


async def test_funding_only_writes_update_the_spread(database: Database) -> None:
    repo = SqlSpreadRepository(database)
    opened = add_entry(
        opening("sp-2", PAIR, 1), Decimal("0.01"), Decimal(100_000), Decimal(100_100), fee=Decimal(0), now_ns=2
    )
    await repo.write(SpreadWrite(opened))
    await repo.write(SpreadWrite(replace(opened, funding=Decimal("-0.25"))))
    assert (await repo.load()).open[0].funding == Decimal("-0.25")


async def test_an_unreachable_database_is_store_unavailable() -> None:
    repo = SqlSpreadRepository(Database("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    with pytest.raises(StoreUnavailable):
        await repo.load()


async def test_an_intent_is_pending_until_its_answer_replaces_it(database: Database) -> None:
    repo = SqlSpreadRepository(database)
    order = SpreadOrder("r9", "sp-9", SpreadAction.OPEN, PAIR, Decimal("0.01"), Decimal(100_000), Decimal(100_100), 5)
    await repo.save_intent(order)
    await repo.save_intent(order)  # saved again (a retry): still one
    stored = await repo.load()
    assert stored.pending == [order] and "r9" not in stored.replies
    opened = add_entry(opening("sp-9", PAIR, 5), Decimal("0.01"), Decimal(100_000), Decimal(100_100), fee=Decimal(0),
                       now_ns=6)  # fmt: skip
    await repo.write(SpreadWrite(opened, _reply("r9", Side.BUY), SpreadAction.OPEN, 6))
    stored = await repo.load()
    assert stored.pending == [] and stored.replies["r9"].verdict is Verdict.ACK


async def test_a_payment_seen_after_a_spread_closed_updates_its_funding_once_and_it_reloads_with_its_trades(
    database: Database,
) -> None:
    repo = SqlSpreadRepository(database)
    opened = add_entry(opening("sp-late", PAIR, 1), Decimal("0.01"), Decimal(100_000), Decimal(100_100),
                       fee=Decimal("0.5"), now_ns=1)  # fmt: skip
    await repo.write(SpreadWrite(opened, _reply("rl1", Side.BUY), SpreadAction.OPEN, 1))
    closed = add_exit(opened, Decimal("0.01"), Decimal(100_050), Decimal(100_060), fee=Decimal("0.5"), now_ns=20)
    await repo.write(SpreadWrite(closed, _reply("rl2", Side.SELL), SpreadAction.CLOSE, 20))
    payment = FundingPayment("txn-late", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.000000000000000007"), 10)
    funded = add_funding(closed, payment.amount, 80)
    await repo.write_funding(FundingWrite(payment, (funded,)))
    await repo.write_funding(FundingWrite(payment, (add_funding(funded, payment.amount, 90),)))  # counted once
    listed = await repo.spreads()
    assert listed == [funded] and listed[0].state is SpreadState.CLOSED
    assert listed[0].net_realised == closed.net_realised + Decimal("0.000000000000000007")
    stored = await repo.load(closed_since_ns=20)
    assert stored.open == [] and stored.closed == [funded] and "txn-late" in stored.funding_ids
    assert [(t.spread_id, t.action, t.ts_ns, t.reply.request_id) for t in stored.trades] == [
        ("sp-late", SpreadAction.OPEN, 1, "rl1"),
        ("sp-late", SpreadAction.CLOSE, 20, "rl2"),
    ]
    later = await repo.load(closed_since_ns=21)  # closed before the horizon: not reloaded, nor its trades
    assert later.closed == [] and later.trades == []
