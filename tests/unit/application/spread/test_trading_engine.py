"""The trading engine: ACK/NACK, duplicates, exposure limits, buffered writes, funding, real-mode unwinds."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest

from tests.fakes.exchange import FakeExchange
from tests.fakes.spread_repository import FakeSpreadRepository
from tests.support.spread import LONG_SPOT, PERP, SPOT, settings
from tests.support.waiting import wait_for
from tradewind.adapters.clock import SimClock
from tradewind.application.ports.exchange import OrderRejected
from tradewind.application.spread.trading import DUPLICATE, TradingEngine
from tradewind.domain.orders import OrderIntent, OrderResult
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.orders import (
    FundingPayment,
    FundingSettlement,
    LegStatus,
    SpreadAction,
    SpreadOrder,
    SpreadQuery,
    Verdict,
)
from tradewind.domain.spread.position import SpreadState
from tradewind.domain.values import Category, Side


def order(request_id: str = "r1", action: SpreadAction = SpreadAction.OPEN, qty: str = "0.01") -> SpreadOrder:
    return SpreadOrder(request_id, "s1", action, LONG_SPOT, Decimal(qty), Decimal(100_000), Decimal(100_100), 0)


async def engine(clock: SimClock | None = None, **changes: object) -> tuple[TradingEngine, FakeSpreadRepository]:
    repo = FakeSpreadRepository()
    trading = TradingEngine(repo, clock or SimClock(), settings(**changes))
    await trading.start()
    return trading, repo


async def test_simulated_ack_fills_at_the_quoted_prices_with_fees() -> None:
    trading, repo = await engine(fees_bps={"spot": "10", "linear": "5"})
    reply = await trading.handle(order())
    assert reply.verdict is Verdict.ACK
    assert [(leg.side, leg.price, leg.status) for leg in reply.legs] == [
        (Side.BUY, Decimal(100_000), LegStatus.SIMULATED),
        (Side.SELL, Decimal(100_100), LegStatus.SIMULATED),
    ]
    assert reply.legs[0].fee == Decimal(1) and reply.legs[1].fee == Decimal("0.50050")
    assert trading.spreads["s1"].fees == Decimal("1.50050")
    assert repo.writes[-1].reply == reply  # spread, request and both legs in one write


async def test_a_repeated_request_id_is_nacked_with_the_first_verdict() -> None:
    trading, _ = await engine()
    await trading.handle(order())
    again = await trading.handle(order())
    assert again.verdict is Verdict.NACK and again.reason == DUPLICATE and again.duplicate_of is Verdict.ACK
    assert trading.spreads["s1"].qty == Decimal("0.01")  # traded once


async def test_exposure_beyond_the_limit_is_nacked_and_changes_nothing() -> None:
    trading, repo = await engine(max_risk_open_position="1500", max_total_exposure="5000")
    assert (await trading.handle(order("r1"))).verdict is Verdict.ACK
    refused = await trading.handle(order("r2"))
    assert refused.verdict is Verdict.NACK and "above max_risk_open_position 1500" in refused.reason
    assert trading.spreads["s1"].qty == Decimal("0.01") and len(repo.writes) == 1


async def test_writes_are_buffered_while_the_database_is_down_and_land_when_it_returns() -> None:
    trading, repo = await engine()
    repo.down = True
    assert (await trading.handle(order("r1"))).verdict is Verdict.ACK  # still answers
    assert (await trading.handle(order("r2", SpreadAction.CLOSE, "0.004"))).verdict is Verdict.ACK
    assert trading.buffered_writes == 2 and repo.writes == []
    repo.down = False
    assert await trading.flush()
    assert [w.reply.request_id for w in repo.writes if w.reply] == ["r1", "r2"]
    assert repo.rows["s1"].qty == Decimal("0.006")


async def test_a_restart_reloads_open_spreads_their_exposure_and_answered_ids() -> None:
    trading, repo = await engine()
    await trading.handle(order("r1"))
    again = TradingEngine(repo, SimClock(), settings())
    await again.start()
    assert again.spreads["s1"].qty == Decimal("0.01") and again.exposure.total() == trading.exposure.total()
    assert (await again.handle(order("r1"))).duplicate_of is Verdict.ACK


async def test_funding_is_shared_among_the_open_spreads_once_per_payment() -> None:
    trading, repo = await engine()
    await trading.handle(order("r1"))
    await trading.handle(
        SpreadOrder("r2", "s2", SpreadAction.OPEN, LONG_SPOT, Decimal("0.03"), Decimal(100_000), Decimal(100_100), 0)
    )
    payment = FundingPayment("f1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.4"), SimClock().now_ns())
    await trading.on_funding(payment)
    await trading.on_funding(payment)  # reported twice: counted once
    assert trading.spreads["s1"].funding == Decimal("0.1") and trading.spreads["s2"].funding == Decimal("0.3")
    assert repo.rows["s2"].funding == Decimal("0.3")
    book = await trading.book(SpreadQuery())
    assert sum(s.funding for s in book.spreads) == Decimal("0.4")


async def test_a_payment_counted_before_a_restart_is_not_counted_again() -> None:
    trading, repo = await engine()
    await trading.handle(order("r1"))
    payment = FundingPayment("f1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.4"), SimClock().now_ns())
    await trading.on_funding(payment)
    again = TradingEngine(repo, SimClock(), settings())
    await again.start()
    await again.on_funding(payment)  # the bus redelivers it, or a poll reads it again
    assert again.spreads["s1"].funding == Decimal("0.4") and repo.rows["s1"].funding == Decimal("0.4")


async def test_funding_shares_sum_exactly_and_skip_spreads_opened_after_the_settlement() -> None:
    clock = SimClock()
    trading, _ = await engine(clock)
    for n in (1, 2, 3):
        await trading.handle(
            SpreadOrder(f"r{n}", f"s{n}", SpreadAction.OPEN, LONG_SPOT, Decimal("0.01"), Decimal(100_000),
                        Decimal(100_100), 0)
        )  # fmt: skip
    settled = clock.now_ns()
    await clock.advance(1)
    await trading.handle(
        SpreadOrder("r4", "s4", SpreadAction.OPEN, LONG_SPOT, Decimal("0.01"), Decimal(100_000), Decimal(100_100), 0)
    )
    await trading.on_funding(FundingPayment("f1", "sim", Category.LINEAR, "BTCUSDT", Decimal(1), settled))
    held = [trading.spreads[f"s{n}"].funding for n in (1, 2, 3)]
    assert sum(held, Decimal(0)) == Decimal(1) and held[0] == held[1]  # thirds, the last one rounded to fit
    assert trading.spreads["s4"].funding == 0  # opened after the settlement


LONG_PERP = Pair(PERP, SPOT)


def opening_of(spread_id: str, pair: Pair, qty: str) -> SpreadOrder:
    return SpreadOrder(f"r-{spread_id}", spread_id, SpreadAction.OPEN, pair, Decimal(qty), Decimal(60_000),
                       Decimal(60_050), 0)  # fmt: skip


def settlement(
    ts_ns: int, rate: str = "0.0001", mark: str = "60000.5", funding_id: str = "settle-1"
) -> FundingSettlement:
    return FundingSettlement(funding_id, "sim", Category.LINEAR, "BTCUSDT", Decimal(rate), Decimal(mark), ts_ns)


@pytest.mark.parametrize(
    ("pair", "rate", "received"),
    [
        (LONG_PERP, "0.0001", "-0.06000050"),  # long perp, positive rate: pays 0.01 x 60 000.5 x 0.0001
        (LONG_SPOT, "0.0001", "0.06000050"),  # short perp: receives it
        (LONG_PERP, "-0.00025", "0.15000125"),  # long perp, negative rate: receives
    ],
)
async def test_a_simulated_spread_gets_its_own_funding_from_the_settlement(
    pair: Pair, rate: str, received: str
) -> None:
    trading, repo = await engine()
    await trading.handle(opening_of("s1", pair, "0.01"))
    await trading.on_settlement(settlement(SimClock().now_ns(), rate))
    assert trading.spreads["s1"].funding == Decimal(received) == repo.rows["s1"].funding
    assert trading.stats.funding_applied == 1


async def test_a_settlement_returns_once_stored_and_a_copy_delivered_meanwhile_waits_for_the_same_write() -> None:
    clock = SimClock()
    trading, repo = await engine(clock)
    await trading.handle(opening_of("s1", LONG_PERP, "0.01"))
    event = settlement(clock.now_ns())
    repo.down = True
    first = asyncio.create_task(trading.on_settlement(event))  # its bus message stays unacknowledged meanwhile
    copy = asyncio.create_task(trading.on_settlement(event))  # the broker handing it over again
    await wait_for(lambda: trading.stats.write_failures >= 2)
    assert not first.done() and not copy.done() and "settle-1" not in repo.funding
    repo.down = False
    assert await trading.flush()
    await asyncio.gather(first, copy)
    assert repo.funding["settle-1"].amount == Decimal("-0.06000050") == repo.rows["s1"].funding
    assert trading.stats.funding_applied == 1


async def held_at_a_settlement(
    *spreads: tuple[str, Pair, str],
) -> tuple[TradingEngine, FakeSpreadRepository, SimClock, int]:
    """An engine with these spreads (id, pair, quantity) opened, the settlement time, and the clock a second on."""
    clock = SimClock()
    trading, repo = await engine(clock)
    for spread_id, pair, qty in spreads:
        await trading.handle(opening_of(spread_id, pair, qty))
    settled = clock.now_ns()
    await clock.advance(1)
    return trading, repo, clock, settled


async def test_settlement_funding_is_each_spreads_own_and_skips_spreads_opened_after_it() -> None:
    trading, repo, _, settled = await held_at_a_settlement(("s1", LONG_PERP, "0.01"), ("s2", LONG_SPOT, "0.03"))
    await trading.handle(opening_of("s3", LONG_PERP, "0.02"))  # opened after the settlement
    await trading.on_settlement(settlement(settled))
    assert trading.spreads["s1"].funding == Decimal("-0.06000050")
    assert trading.spreads["s2"].funding == Decimal("0.18000150")  # 0.03 short: receives three times s1's
    assert trading.spreads["s3"].funding == 0
    stored = repo.funding["settle-1"]
    assert stored.amount == Decimal("0.12000100") and stored.ts_ns == settled  # the spreads' sum, with them
    assert repo.rows["s1"].funding == Decimal("-0.06000050") and repo.rows["s2"].funding == Decimal("0.18000150")


async def test_a_settlement_counts_once_even_when_delivered_again_and_after_a_restart() -> None:
    clock = SimClock()
    trading, repo = await engine(clock)
    await trading.handle(opening_of("s1", LONG_PERP, "0.01"))
    event = settlement(clock.now_ns())
    await trading.on_settlement(event)
    await trading.on_settlement(event)  # the bus redelivers it
    assert trading.spreads["s1"].funding == Decimal("-0.06000050")
    again = TradingEngine(repo, clock, settings())
    await again.start()
    await again.on_settlement(event)
    assert again.spreads["s1"].funding == Decimal("-0.06000050") == repo.rows["s1"].funding
    await again.on_settlement(settlement(clock.now_ns(), funding_id="settle-2"))  # the next one does count
    assert again.spreads["s1"].funding == Decimal("-0.12000100")


async def test_a_settlement_no_spread_held_is_stored_with_nothing_allocated() -> None:
    trading, repo = await engine()
    await trading.on_settlement(settlement(0))
    assert repo.funding["settle-1"].amount == 0 and trading.stats.funding_applied == 0


async def test_real_mode_polls_the_venue_funding_once_per_payment_across_a_restart_and_ignores_settlements() -> None:
    clock = SimClock()
    venue = FakeExchange("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    repo = FakeSpreadRepository()
    trading = TradingEngine(repo, clock, settings(mode="real"), {"sim": venue})
    await trading.start()
    assert (await trading.handle(order("r1"))).verdict is Verdict.ACK
    now = clock.now_ns()
    venue.funding = [
        FundingPayment("early", "sim", Category.LINEAR, "BTCUSDT", Decimal("9"), now - 1),  # before the spread
        FundingPayment("t1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.25"), now),
        FundingPayment("other", "sim", Category.LINEAR, "ETHUSDT", Decimal("5"), now),  # no spread holds it
    ]
    assert await trading.poll_funding() == 1  # ETHUSDT is not asked for, ``early`` is before ``since``
    assert await trading.poll_funding() == 0
    await trading.on_settlement(settlement(now))  # real mode counts its own account's funding, not settlements
    venue.funding.append(FundingPayment("t2", "sim", Category.LINEAR, "BTCUSDT", Decimal("-0.05"), now + 10))
    again = TradingEngine(repo, clock, settings(mode="real"), {"sim": venue})
    await again.start()  # reads what settled while it was down: only t2, t1 was stored with the spread it changed
    assert await again.poll_funding() == 0
    assert again.spreads["s1"].funding == Decimal("0.20") == repo.rows["s1"].funding
    assert set(repo.funding) == {"t1", "t2"}


class RefusingExchange(FakeExchange):
    """Refuses every order of one category: the venue turning the second leg down."""

    def __init__(self, refuse: Category) -> None:
        super().__init__("sim", bid=Decimal(100_000), ask=Decimal(100_000))
        self.refused_category = refuse

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        if intent.category is self.refused_category:
            raise OrderRejected("insufficient margin", client_order_id=intent.client_order_id)
        return await super().place_order(intent)


async def test_real_mode_unwinds_the_first_leg_when_the_second_is_refused() -> None:
    venue = RefusingExchange(Category.LINEAR)
    repo = FakeSpreadRepository()
    trading = TradingEngine(repo, SimClock(), settings(mode="real"), {"sim": venue})
    await trading.start()
    reply = await trading.handle(order())
    assert reply.verdict is Verdict.NACK and "second leg failed (insufficient margin)" in reply.reason
    first, second = reply.legs
    assert first.status is LegStatus.UNWOUND and first.unwound_qty == Decimal("0.01")
    assert second.status is LegStatus.FAILED
    assert [(i.side, i.category) for i in venue.placed] == [(Side.BUY, Category.SPOT), (Side.SELL, Category.SPOT)]
    assert trading.exposure.total() == 0 and trading.spreads == {}
    recorded = repo.writes[-1]
    assert recorded.reply == reply and recorded.spread.state is SpreadState.CLOSED  # both outcomes recorded


async def test_real_mode_acks_with_the_exchange_fills() -> None:
    venue = FakeExchange("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    trading = TradingEngine(FakeSpreadRepository(), SimClock(), settings(mode="real"), {"sim": venue})
    await trading.start()
    sent = replace(order(), ts_ns=1_765_000_000_000_000_000)
    reply = await trading.handle(sent)
    assert reply.verdict is Verdict.ACK and [leg.status for leg in reply.legs] == [LegStatus.FILLED] * 2
    assert trading.spreads["s1"].long_entry == Decimal(100_000)  # the venue's price, not the quote
    again = TradingEngine(FakeSpreadRepository(), SimClock(), settings(mode="real"), {"sim": venue})
    await again.start()
    retried = await again.handle(sent)  # a restarted engine retried: finds the orders, sends nothing new
    assert retried.verdict is Verdict.ACK and len(venue.placed) == 2
    # Each leg is looked up from the request's time: an exchange answers its order history in windows (Bybit: 7 days
    # per request), so a retry a week later still finds what the first attempt placed.
    assert {since for _, since in venue.lookups[:2]} == {sent.ts_ns}


async def test_a_real_mode_restart_reports_a_perp_leg_the_venue_does_not_hold() -> None:
    venue = FakeExchange("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    repo = FakeSpreadRepository()
    first = TradingEngine(repo, SimClock(), settings(mode="real"), {"sim": venue})
    await first.start()
    assert (await first.handle(order())).verdict is Verdict.ACK
    venue.positions.clear()  # the perp leg closed at the venue while the engine was down (liquidated, say)
    again = TradingEngine(repo, SimClock(), settings(mode="real"), {"sim": venue})
    await again.start()
    assert again.mismatches == ["sim linear BTCUSDT: open spreads hold -0.01, the venue 0"]
    assert len(venue.placed) == 2  # reported, nothing traded blindly


class Crash(BaseException):
    """The process dying: nothing after it runs."""


class DyingBeforeTheSecondLeg(FakeExchange):
    async def place_order(self, intent: OrderIntent) -> OrderResult:
        if intent.category is Category.LINEAR:
            raise Crash
        return await super().place_order(intent)


async def test_a_restart_after_a_crash_between_the_legs_finishes_the_order_without_resending_the_first() -> None:
    repo = FakeSpreadRepository()
    dying = DyingBeforeTheSecondLeg("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    first = TradingEngine(repo, SimClock(), settings(mode="real"), {"sim": dying})
    await first.start()
    with pytest.raises(Crash):
        await first.handle(order())
    assert list(repo.intents) == ["r1"] and repo.writes == []  # the first leg filled, nothing answered
    venue = FakeExchange("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    venue.orders, venue.placed = dying.orders, []  # the same account, seen by the restarted process
    again = TradingEngine(repo, SimClock(), settings(mode="real"), {"sim": venue})
    await again.start()
    assert [(i.category, i.side) for i in venue.placed] == [(Category.LINEAR, Side.SELL)]  # only the missing leg
    assert again.spreads["s1"].qty == Decimal("0.01") and repo.intents == {}
    assert repo.replies["r1"].verdict is Verdict.ACK
    assert (await again.handle(order())).duplicate_of is Verdict.ACK  # the signal engine's retry is recognised


def closing_of(spread_id: str, pair: Pair, qty: str, n: int = 1) -> SpreadOrder:
    return SpreadOrder(f"c{n}-{spread_id}", spread_id, SpreadAction.CLOSE, pair, Decimal(qty), Decimal(60_010),
                       Decimal(60_020), 0)  # fmt: skip


async def test_a_spread_closed_a_second_after_the_settlement_gets_its_exact_share_of_a_payment_seen_60_s_later() -> (
    None
):
    trading, repo, clock, settled = await held_at_a_settlement(("s1", LONG_SPOT, "0.01"), ("s2", LONG_SPOT, "0.03"))
    await trading.handle(closing_of("s1", LONG_SPOT, "0.01"))  # closed a second after the settlement
    await trading.handle(opening_of("s3", LONG_SPOT, "0.02"))  # opened after it: owed nothing
    before = repo.rows["s1"]
    await clock.advance(59)
    await trading.on_funding(FundingPayment("f1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.4"), settled))
    closed = repo.rows["s1"]
    assert closed.state is SpreadState.CLOSED and closed.funding == Decimal("0.1")  # a quarter, as it held then
    assert closed.net_realised == before.net_realised + Decimal("0.1")
    assert trading.spreads["s2"].funding == Decimal("0.3") and trading.spreads["s3"].funding == 0
    assert repo.funding["f1"].amount == Decimal("0.4")
    book = await trading.book(SpreadQuery())
    assert {s.spread_id: s.funding for s in book.spreads} == {"s1": Decimal("0.1"), "s2": Decimal("0.3"), "s3": 0}


async def test_a_settlement_delivered_after_a_partial_and_a_full_close_counts_each_spreads_quantity_then() -> None:
    trading, repo, _, settled = await held_at_a_settlement(("s1", LONG_PERP, "0.01"), ("s2", LONG_PERP, "0.02"))
    await trading.handle(closing_of("s1", LONG_PERP, "0.01"))
    await trading.handle(closing_of("s2", LONG_PERP, "0.005"))  # partly closed: held 0.02 at the settlement
    await trading.on_settlement(settlement(settled))
    assert repo.rows["s1"].funding == Decimal("-0.06000050") and repo.rows["s1"].state is SpreadState.CLOSED
    assert trading.spreads["s2"].funding == Decimal("-0.12000100") == repo.rows["s2"].funding


async def test_a_restart_between_the_close_and_the_payment_shares_it_by_the_stored_trades_and_counts_it_once() -> None:
    trading, repo, clock, settled = await held_at_a_settlement(("s1", LONG_SPOT, "0.01"), ("s2", LONG_SPOT, "0.01"))
    venue = FakeExchange("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    await trading.handle(closing_of("s1", LONG_SPOT, "0.01"))
    await trading.handle(replace(opening_of("s2", LONG_SPOT, "0.02"), request_id="r-s2-more"))  # 0.01 at settlement
    await clock.advance(59)
    payment = FundingPayment("f1", "sim", Category.LINEAR, "BTCUSDT", Decimal("-0.5"), settled)
    venue.funding = [payment]
    again = TradingEngine(repo, clock, settings(mode="real"), {"sim": venue})
    await again.start()  # s1 reloaded as closed lately; the start's poll finds the payment
    assert again.closed["s1"].funding == Decimal("-0.25") == repo.rows["s1"].funding
    assert again.spreads["s2"].funding == Decimal("-0.25") == repo.rows["s2"].funding
    third = TradingEngine(repo, clock, settings(mode="real"), {"sim": venue})
    await third.start()
    await third.on_funding(payment)
    assert await third.poll_funding() == 0
    assert repo.rows["s1"].funding == Decimal("-0.25") and third.closed["s1"].funding == Decimal("-0.25")


async def test_real_mode_polls_the_leg_of_a_spread_closed_since_the_settlement_until_funding_late_s() -> None:
    clock = SimClock()
    venue = FakeExchange("sim", bid=Decimal(100_000), ask=Decimal(100_000))
    repo = FakeSpreadRepository()
    trading = TradingEngine(repo, clock, settings(mode="real", funding_late_s=3_600), {"sim": venue})
    await trading.start()
    assert (await trading.handle(order("r1"))).verdict is Verdict.ACK
    settled = clock.now_ns()
    await clock.advance(1)
    assert (await trading.handle(order("r2", SpreadAction.CLOSE))).verdict is Verdict.ACK
    assert trading.spreads == {}
    venue.funding = [FundingPayment("t1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.25"), settled)]
    assert await trading.poll_funding() == 1  # no spread is open, the closed one's leg is still read
    assert repo.rows["s1"].funding == Decimal("0.25") and repo.rows["s1"].state is SpreadState.CLOSED
    await clock.advance(3_601)
    venue.funding.append(FundingPayment("t2", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.25"), settled + 1))
    asks = venue.funding_asks
    assert await trading.poll_funding() == 0 and venue.funding_asks == asks  # past funding_late_s: not asked
    assert trading.closed == {}
