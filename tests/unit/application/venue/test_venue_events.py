from collections.abc import Sequence
from decimal import Decimal

import pytest

from tradewind.application.venue import (
    ExecutionEvent,
    OrderEvent,
    PositionEvent,
    SimVenue,
    VenueError,
    VenueEvent,
    VenueOrderStatus,
    WalletEvent,
)
from tradewind.domain.instruments import Instrument
from tradewind.domain.matching.events import Report
from tradewind.domain.values import Category, OrderType, Side

from .venue_support import limit, market

D = Decimal


def test_one_fill_gives_one_batch_in_bybit_order(venue: SimVenue, events: list[Sequence[VenueEvent]]) -> None:
    venue.place_order("bob", limit(Category.LINEAR, Side.SELL, "0.1", "60000"))
    events.clear()
    venue.place_order("alice", market(Category.LINEAR, Side.BUY, "0.1"))
    (batch,) = events
    kinds = [type(e) for e in batch]
    assert kinds == [ExecutionEvent] * 2 + [OrderEvent] * 2 + [PositionEvent] * 2 + [WalletEvent] * 2
    by_account = {e.account for e in batch if isinstance(e, ExecutionEvent)}
    assert by_account == {"alice", "bob"}
    orders = {e.account: e.order for e in batch if isinstance(e, OrderEvent)}
    assert orders["alice"].status is VenueOrderStatus.FILLED
    assert orders["bob"].status is VenueOrderStatus.FILLED


def test_refused_order_publishes_nothing(venue: SimVenue, events: list[Sequence[VenueEvent]]) -> None:
    with pytest.raises(VenueError):
        venue.place_order("alice", limit(Category.SPOT, Side.BUY, "100", "60000"))
    assert events == []


def test_unsubscribed_listener_hears_nothing_more(venue: SimVenue) -> None:
    heard: list[Sequence[VenueEvent]] = []
    stop = venue.subscribe(heard.append)
    venue.place_order("alice", limit(Category.SPOT, Side.BUY, "0.1", "50000"))
    stop()
    venue.place_order("alice", limit(Category.SPOT, Side.BUY, "0.1", "50000"))
    assert len(heard) == 1


def test_resting_venue_order_filled_by_an_outside_taker_is_settled(
    venue: SimVenue, events: list[Sequence[VenueEvent]]
) -> None:
    order = venue.place_order("alice", limit(Category.SPOT, Side.SELL, "0.5", "60000"))
    engine = venue.engine(Category.SPOT, "BTCUSDT")
    report = engine.submit("swarm-noise-1", Side.BUY, OrderType.MARKET, 200_000, ts=venue.clock.now_ns())
    venue.on_engine_report(engine.instrument, report)
    after = venue.account("alice").open_orders[order.order_id]  # type: ignore[union-attr]
    assert after.status is VenueOrderStatus.PARTIALLY_FILLED
    assert after.cum_exec_qty == D("0.2")
    btc = venue.wallet_view("alice").coin("BTC")
    assert btc is not None and (btc.balance, btc.locked) == (D("1.8"), D("0.3"))
    assert venue.tape(Category.SPOT, "BTCUSDT").last_price == D("60000")
    assert any(isinstance(e, ExecutionEvent) and e.execution.is_maker for batch in events for e in batch)


def test_report_listener_hears_the_venues_own_engine_operations(venue: SimVenue) -> None:
    heard: list[tuple[Instrument, Report]] = []
    venue.add_report_listener(lambda inst, rep: heard.append((inst, rep)))
    order = venue.place_order("alice", limit(Category.SPOT, Side.BUY, "0.1", "50000"))
    assert [(i.symbol, r.order_id) for i, r in heard] == [("BTCUSDT", order.order_id)]
