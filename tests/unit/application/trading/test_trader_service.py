"""The position manager's rules over the fake exchange and deal store, on the simulated clock."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.fakes.deals import FakeDeals
from tests.fakes.exchange import FakeExchange
from tests.support.bus import RecordingBus
from tests.support.logs import captured_logs
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.trade_events import DEAL_EVENT
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.domain.orders import PositionProtection
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import CloseReason, DealStatus, Protection
from tradewind.domain.values import Category, Side

D = Decimal


class Rig:
    def __init__(self, bus: InMemoryBus | None = None, **settings: object) -> None:
        self.exchange = FakeExchange("fake", bid=D("99990"), ask=D("100010"))
        self.deals = FakeDeals()
        self.clock = SimClock()
        self.bus = bus or InMemoryBus()
        self.trader = TraderService(
            self.deals, {"fake": self.exchange}, self.bus, self.clock, TraderSettings.model_validate(settings)
        )

    def rows(self) -> list:  # type: ignore[type-arg]
        return sorted(self.deals.rows.values(), key=lambda d: d.id or 0)


async def test_buy_opens_one_position_with_default_levels_protected_on_the_exchange() -> None:
    rig = Rig()
    handled = await rig.trader.handle(signal())
    assert handled.outcome is Outcome.OPENED
    (deal,) = rig.rows()
    assert (deal.status, deal.qty, deal.price) == (DealStatus.OPEN, D("0.01"), D("100010"))
    assert (deal.take_profit, deal.stop_loss) == (D("103010.3"), D("98009.8"))  # 3 % and 2 % on the tick grid
    assert deal.protection is Protection.EXCHANGE
    # the deal's own TP / SL pair of its quantity (Partial mode), their orders' ids kept on the deal
    sized = PositionProtection(D("103010.3"), D("98009.8"), size=D("0.01"))
    assert rig.exchange.protections == [(Category.LINEAR, "BTCUSDT", sized)]
    assert deal.tp_order_id.startswith("ptp-") and deal.sl_order_id.startswith("psl-")
    assert [i.client_order_id for i in rig.exchange.placed] == [deal.client_order_id]


async def test_the_signals_own_levels_win_over_the_defaults() -> None:
    rig = Rig()
    await rig.trader.handle(signal(take_profit_pct="10", stop_loss_pct="5"))
    (deal,) = rig.rows()
    assert (deal.take_profit, deal.stop_loss) == (D("110011"), D("95009.5"))


async def test_a_second_buy_while_a_position_is_open_is_refused_and_sends_nothing() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="a"))
    handled = await rig.trader.handle(signal(sid="b"))
    assert handled.outcome is Outcome.REFUSED and "open" in handled.reason
    assert len(rig.exchange.placed) == 1 and len(rig.rows()) == 1


async def test_the_same_buy_redelivered_places_no_second_order() -> None:
    rig = Rig()
    first = await rig.trader.handle(signal())
    again = await rig.trader.handle(signal())
    assert (first.outcome, again.outcome) == (Outcome.OPENED, Outcome.REPEATED)
    assert len(rig.exchange.placed) == 1


async def test_the_same_buy_twice_at_once_opens_one_position() -> None:
    rig = Rig()
    results = await asyncio.gather(rig.trader.handle(signal()), rig.trader.handle(signal()))
    assert sorted(r.outcome for r in results) == sorted([Outcome.OPENED, Outcome.REPEATED])
    assert len(rig.exchange.orders) == 1 and len(rig.rows()) == 1


async def test_cooling_period_counts_from_the_close_on_the_clock() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    await rig.clock.advance(600)
    assert (await rig.trader.handle(signal(Action.SELL, sid="close"))).outcome is Outcome.CLOSED
    await rig.clock.advance(59 * 60)
    refused = await rig.trader.handle(signal(sid="too-soon"))
    assert refused.outcome is Outcome.REFUSED and "cooling" in refused.reason
    status = await rig.trader.status("fake", Category.LINEAR, "BTCUSDT", "trend-btc")
    assert (status.has_open_position, status.recently_closed, status.can_open_new) == (False, True, False)
    await rig.clock.advance(60)
    assert (await rig.trader.handle(signal(sid="later"))).outcome is Outcome.OPENED


async def test_a_shorter_cooling_period_from_config() -> None:
    rig = Rig(cooling_period_s=60)
    await rig.trader.handle(signal(sid="open"))
    await rig.trader.handle(signal(Action.SELL, sid="close"))
    await rig.clock.advance(61)
    assert (await rig.trader.handle(signal(sid="again"))).outcome is Outcome.OPENED


async def test_sell_closes_the_whole_position_marks_it_manual_and_records_the_sell_with_fees() -> None:
    rig = Rig()
    rig.exchange.fee_rate = D("0.001")
    await rig.trader.handle(signal(sid="open"))
    rig.exchange.bid, rig.exchange.ask = D("101000"), D("101010")
    handled = await rig.trader.handle(signal(Action.SELL, sid="close"))
    buy, sell = rig.rows()
    assert handled.outcome is Outcome.CLOSED
    assert (buy.status, buy.manually_closed, buy.stop_loss_hit, buy.take_profit_hit) == (
        DealStatus.CLOSED, True, False, False,
    )  # fmt: skip
    assert (sell.action, sell.status, sell.qty, sell.price) == (Action.SELL, DealStatus.FILLED, D("0.01"), D("101000"))
    closing = rig.exchange.placed[-1]
    assert (closing.side, closing.qty, closing.reduce_only) == (Side.SELL, D("0.01"), True)
    # (101000 - 100010) x 0.01 - 1.0001 - 1.01 fees
    assert buy.realised_pnl() == D("9.90") - D("1.00010") - D("1.01000")
    report = await rig.trader.report()
    assert report.by_source["trend-btc"].realised == buy.realised_pnl() and report.positions == ()


async def test_sell_with_nothing_open_is_ignored_and_sends_nothing() -> None:
    rig = Rig()
    handled = await rig.trader.handle(signal(Action.SELL))
    assert handled.outcome is Outcome.IGNORED and rig.exchange.placed == [] and rig.rows() == []


async def test_nothing_is_only_logged() -> None:
    rig = Rig()
    assert (await rig.trader.handle(signal(Action.NOTHING))).outcome is Outcome.IGNORED
    assert rig.exchange.placed == [] and rig.rows() == []


async def test_a_buy_the_exchange_refuses_leaves_no_deal_and_the_next_one_may_open() -> None:
    rig = Rig()
    rig.exchange.refuse = "insufficient balance"
    handled = await rig.trader.handle(signal(sid="a"))
    assert handled.outcome is Outcome.REJECTED and "insufficient" in handled.reason
    assert rig.rows() == []
    rig.exchange.refuse = None
    assert (await rig.trader.handle(signal(sid="b"))).outcome is Outcome.OPENED


async def test_spot_positions_are_watched_and_closed_by_the_trader_at_their_stop_loss() -> None:
    rig = Rig()
    await rig.bus.start()
    await rig.trader.handle(signal(category=Category.SPOT))
    (deal,) = rig.rows()
    assert deal.protection is Protection.WATCHED and "spot" in deal.note
    rig.exchange.bid, rig.exchange.ask = D("97000"), D("97010")
    closed = await rig.trader.close_watched(deal, CloseReason.STOP_LOSS)
    assert closed is not None and closed.stop_loss_hit and not closed.manually_closed
    assert rig.exchange.placed[-1].side is Side.SELL and not rig.exchange.placed[-1].reduce_only
    assert await rig.trader.close_watched(deal, CloseReason.STOP_LOSS) is None  # never a second close
    await rig.bus.close()


async def test_protection_refused_by_the_exchange_is_watched_and_the_deal_says_so() -> None:
    rig = Rig()
    rig.exchange.protection_refused = True
    await rig.bus.start()
    await rig.trader.handle(signal())
    (deal,) = rig.rows()
    assert deal.protection is Protection.WATCHED and "refused" in deal.note
    await rig.bus.close()


async def test_unrealised_pnl_of_an_open_position_includes_its_entry_fee() -> None:
    rig = Rig()
    rig.exchange.fee_rate = D("0.001")
    await rig.trader.handle(signal())
    rig.exchange.bid, rig.exchange.ask = D("100990"), D("101010")  # last = mid = 101000
    report = await rig.trader.report()
    (position,) = report.positions
    assert position.mark == D("101000")
    assert position.unrealised == D("9.90") - D("1.00010") == report.unrealised == report.total


@pytest.mark.parametrize(
    ("payload_change", "reason"),
    [
        ({"amount_quote": "-5"}, "amount_quote"),
        ({"symbol": "DOGEUSDT"}, "DOGEUSDT"),
        ({"source": None}, "source"),
        ("not json", "malformed"),
    ],
)
async def test_bad_signals_are_dead_lettered_with_a_reason_and_change_nothing(
    payload_change: dict[str, object] | str, reason: str
) -> None:
    from tests.support.logs import captured_logs
    from tests.support.waiting import wait_for
    from tradewind.application.messages.signals import SIGNAL

    rig = Rig()
    await rig.bus.start()
    await rig.trader.start()
    payload: object = (
        {"raw": payload_change} if isinstance(payload_change, str) else {**SIGNAL.encode(signal()), **payload_change}
    )
    with captured_logs() as logs:
        await rig.bus.publish("signal.trade.fake.linear.BTCUSDT", payload)  # type: ignore[arg-type]
        await wait_for(lambda: any(e["event"] == "trader.signal_refused" for e in logs))
    dead = await rig.bus.dead_letters("trader.signals")
    assert len(dead) == 1
    refused = next(e for e in logs if e["event"] == "trader.signal_refused")
    assert reason in refused["reason"] or reason == "malformed"
    assert rig.exchange.placed == [] and rig.rows() == []
    await rig.trader.stop()
    await rig.bus.close()


async def test_a_stop_loss_the_exchange_carried_out_is_found_in_its_fills_and_recorded() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    await rig.clock.advance(60)
    rig.exchange.stop_out("BTCUSDT", D("98009.8"), rig.clock.now_ns())
    await rig.trader.sync_protected()
    (deal,) = rig.rows()
    assert (deal.status, deal.stop_loss_hit, deal.take_profit_hit, deal.close_price) == (
        DealStatus.CLOSED, True, False, D("98009.8"),
    )  # fmt: skip
    # A SELL now finds nothing open: never a close of nothing.
    assert (await rig.trader.handle(signal(Action.SELL, sid="late"))).outcome is Outcome.IGNORED
    assert len(rig.exchange.placed) == 1


async def test_a_sell_after_the_exchange_took_profit_records_the_hit_and_sends_no_close() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    rig.exchange.stop_out("BTCUSDT", D("103010.3"), rig.clock.now_ns() + 1)
    handled = await rig.trader.handle(signal(Action.SELL, sid="close"))
    (deal,) = rig.rows()
    assert handled.outcome is Outcome.IGNORED and deal.take_profit_hit and len(rig.exchange.placed) == 1


async def test_a_close_whose_answer_was_lost_is_finished_by_the_next_sell_never_sent_twice() -> None:
    from tradewind.application.ports.exchange import ExchangeUnavailable

    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    rig.exchange.lose_answers = 1
    with pytest.raises(ExchangeUnavailable):  # the bus would redeliver this SELL
        await rig.trader.handle(signal(Action.SELL, sid="close"))
    buy, sell = rig.rows()
    assert (buy.status, sell.status) == (DealStatus.CLOSING, DealStatus.PENDING)
    again = await rig.trader.handle(signal(Action.SELL, sid="another"))  # a later SELL, not the redelivery
    assert again.outcome is Outcome.CLOSED
    sells = [i for i in rig.exchange.placed if i.side is Side.SELL]
    assert [i.client_order_id for i in sells] == [sell.client_order_id]  # the first close's order, found, not resent
    buy, sell = rig.rows()
    assert (buy.status, buy.manually_closed, sell.status) == (DealStatus.CLOSED, True, DealStatus.FILLED)


async def test_a_watched_close_whose_answer_was_lost_is_found_by_its_client_id_and_recorded_once() -> None:
    rig = Rig()
    await rig.bus.start()
    await rig.trader.handle(signal(category=Category.SPOT))
    (deal,) = rig.rows()
    rig.exchange.lose_answers = 1
    assert await rig.trader.close_watched(deal, CloseReason.STOP_LOSS) is None  # logged; the next tick tries again
    assert [d.status for d in rig.rows()] == [DealStatus.OPEN]  # sent first, recorded after the fill: not yet
    closed = await rig.trader.close_watched(deal, CloseReason.STOP_LOSS)  # the next tick: reconciles first
    assert closed is not None and closed.stop_loss_hit
    assert len([i for i in rig.exchange.placed if i.side is Side.SELL]) == 1
    buy, sell = rig.rows()
    assert (buy.status, sell.status, sell.client_order_id) == (
        DealStatus.CLOSED,
        DealStatus.FILLED,
        sell.client_order_id,
    )
    await rig.bus.close()


async def test_a_position_the_exchange_lost_without_a_fill_is_shown_as_a_difference_and_left_alone() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    rig.exchange.positions.clear()  # gone from the exchange, and no fill says why
    await rig.trader.sync_protected()
    (deal,) = rig.rows()
    assert deal.status is DealStatus.OPEN  # never fixed silently
    report = await rig.trader.report()
    (difference,) = report.differences
    assert "no stop fill explains it" in difference and f"deal {deal.id}" in difference
    # A SELL now sends nothing: there is nothing to close.
    assert (await rig.trader.handle(signal(Action.SELL, sid="close"))).outcome is Outcome.IGNORED
    assert len(rig.exchange.placed) == 1


async def test_at_start_a_pending_buy_whose_order_filled_is_completed_with_the_default_levels() -> None:
    rig = Rig()
    from tradewind.domain.orders import OrderIntent
    from tradewind.domain.trading.deals import Deal, deal_client_order_id
    from tradewind.domain.values import OrderType

    cid = deal_client_order_id("lost", "b")
    await rig.deals.insert(
        Deal(None, 0, "fake", Category.LINEAR, "BTCUSDT", "trend-btc", "lost", Action.BUY, cid, DealStatus.PENDING,
             D("1000"), qty=D("0.01"))
    )  # fmt: skip
    await rig.exchange.place_order(
        OrderIntent(cid, "fake", Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.01"))
    )
    await rig.bus.start()
    await rig.trader.start()
    (deal,) = rig.rows()
    assert (deal.status, deal.take_profit, deal.stop_loss) == (DealStatus.OPEN, D("103010.3"), D("98009.8"))
    assert "defaults" in deal.note and len(rig.exchange.placed) == 1
    await rig.trader.stop()
    await rig.bus.close()


async def test_a_deal_opened_then_sold_is_announced_once_each_is_stored() -> None:
    rig: Rig
    bus = RecordingBus("trader.deal.", witness=lambda p: rig.deals.rows[p["id"]].status)
    rig = Rig(bus)
    await rig.trader.handle(signal(sid="open"))
    rig.exchange.bid, rig.exchange.ask = D("101000"), D("101010")
    await rig.trader.handle(signal(Action.SELL, sid="close"))
    buy = rig.rows()[0]
    assert [(topic, stored) for topic, _, stored in bus.kept] == [
        ("trader.deal.opened", DealStatus.OPEN), ("trader.deal.closed", DealStatus.CLOSED),
    ]  # fmt: skip
    opened, closed = (DEAL_EVENT.decode(payload) for _, payload, _ in bus.kept)
    assert (opened.id, opened.source, opened.qty, opened.entry_price, opened.pnl) == (
        buy.id, "trend-btc", D("0.01"), D("100010"), None,
    )  # fmt: skip
    assert (closed.reason, closed.by_exchange, closed.exit_price, closed.pnl) == (
        "manual", False, D("101000"), buy.realised_pnl(),
    )  # fmt: skip


async def test_a_stop_the_exchange_carried_out_while_the_trader_was_down_is_announced_at_start() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    hit_ns = rig.clock.now_ns() + 1
    rig.exchange.stop_out("BTCUSDT", D("98009.8"), hit_ns)
    bus = RecordingBus("trader.deal.")
    restarted = TraderService(rig.deals, {"fake": rig.exchange}, bus, rig.clock, TraderSettings())
    await restarted.reconcile()
    ((topic, payload, _),) = bus.kept
    event = DEAL_EVENT.decode(payload)
    assert topic == "trader.deal.closed"
    assert (event.reason, event.by_exchange, event.exit_price, event.ts_ns) == ("stop_loss", True, D("98009.8"), hit_ns)
    assert event.pnl == rig.rows()[0].realised_pnl() < 0


async def test_a_lost_announcement_is_logged_and_the_deal_stands() -> None:
    bus = RecordingBus("trader.deal.")
    bus.refuse = True
    rig = Rig(bus)
    with captured_logs() as logs:
        handled = await rig.trader.handle(signal(sid="open"))
    assert handled.outcome is Outcome.OPENED and rig.rows()[0].status is DealStatus.OPEN
    assert [e["topic"] for e in logs if e["event"] == "trade_events.lost"] == ["trader.deal.opened"]


async def test_a_refused_sell_puts_a_new_pair_of_its_own_on_the_position_in_place_of_the_cancelled_one() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    (opened,) = rig.rows()
    first = (opened.tp_order_id, opened.sl_order_id)
    rig.exchange.refuse = "reduce-only order refused"
    handled = await rig.trader.handle(signal(Action.SELL, sid="close"))
    assert handled.outcome is Outcome.IGNORED
    (deal,) = rig.rows()  # the SELL row rolled back, the BUY open again
    assert deal.status is DealStatus.OPEN and deal.protection is Protection.EXCHANGE
    assert [(o.take_profit_id, o.stop_loss_id) for o in rig.exchange.cancelled_stops] == [first]
    assert (deal.tp_order_id, deal.sl_order_id) != first and deal.tp_order_id in rig.exchange.stops
    assert rig.exchange.protections[-1][2] == PositionProtection(deal.take_profit, deal.stop_loss, size=deal.qty)


async def test_a_sell_whose_stop_fired_meanwhile_records_that_stop_and_sends_no_close() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    (opened,) = rig.rows()
    # the stop fires between the trader's look at the fills and its cancel: the cancel finds it gone
    real_fetch = rig.exchange.fetch_fills
    looks = 0

    async def fills_then_stop(*args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        nonlocal looks
        looks += 1
        found = await real_fetch(*args, **kwargs)  # type: ignore[arg-type]
        if looks == 1:
            rig.exchange.stop_out("BTCUSDT", D("98009.8"), rig.clock.now_ns() + 1)
        return found

    rig.exchange.fetch_fills = fills_then_stop  # type: ignore[method-assign]
    handled = await rig.trader.handle(signal(Action.SELL, sid="close"))
    (deal,) = rig.rows()
    assert handled.outcome is Outcome.IGNORED and deal.status is DealStatus.CLOSED and deal.stop_loss_hit
    assert len(rig.exchange.placed) == 1  # the BUY only: no close of what the stop closed
    assert deal.sl_order_id == opened.sl_order_id


async def test_a_trailing_stop_setting_is_watched_by_the_trader_beside_the_pair_the_exchange_keeps() -> None:
    rig = Rig(trailing_stop_pct="1")
    await rig.trader.handle(signal(sid="open"))
    (deal,) = rig.rows()
    assert deal.protection is Protection.EXCHANGE and "trailing stop 1 % watched by the trader" in deal.note
    assert rig.exchange.protections[0][2].trailing_stop is None  # Bybit keeps one per symbol, not per deal
    assert [p.deal.id for p in rig.trader.watched] == [deal.id]


async def test_a_refused_sell_whose_new_pair_is_refused_too_leaves_the_position_watched_by_the_trader() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    rig.exchange.refuse = "reduce-only order refused"
    rig.exchange.protection_refused = True
    await rig.trader.handle(signal(Action.SELL, sid="close"))
    (deal,) = rig.rows()
    assert (deal.status, deal.protection) == (DealStatus.OPEN, Protection.WATCHED)
    assert [p.deal.id for p in rig.trader.watched] == [deal.id] and (deal.tp_order_id, deal.sl_order_id) == ("", "")


async def test_a_restart_names_a_deal_whose_own_stops_are_gone_from_the_exchange_without_firing() -> None:
    rig = Rig()
    await rig.trader.handle(signal(sid="open"))
    (deal,) = rig.rows()
    rig.exchange.stops.clear()  # cancelled or deactivated on the exchange (by hand, say): the position is bare
    await rig.trader.start()
    (difference,) = rig.trader.differences
    assert deal.tp_order_id in difference and deal.sl_order_id in difference and "no longer open" in difference
    assert rig.rows()[0].status is DealStatus.OPEN  # shown, never fixed silently
    await rig.trader.stop()
