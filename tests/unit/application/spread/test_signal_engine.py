"""The signal engine against the trading engine in simulated mode, on crafted books."""

from __future__ import annotations

from decimal import Decimal

from tests.support.spread import LONG_SPOT, PERP, SPOT, book, instrument_of, rig, settings
from tradewind.adapters.metrics import ServiceMetrics
from tradewind.application.ports.bus import RequestTimeout
from tradewind.application.spread.signal import SignalEngine
from tradewind.domain.spread.orders import SpreadOrder, SpreadReply
from tradewind.domain.spread.position import SpreadState

WIDE_SPOT = book(SPOT, [("99990", "5")], [("100000", "0.2"), ("100010", "0.3")])
WIDE_PERP = book(PERP, [("100200", "0.4"), ("100150", "1")], [("100210", "5")])


async def test_opens_and_scales_in_over_the_levels_after_each_ack() -> None:
    r = await rig()
    await r.books(WIDE_SPOT, WIDE_PERP)
    spread = r.signal.spreads[LONG_SPOT.key]
    # 0.2 @ 100000/100200, 0.2 @ 100010/100200, 0.1 @ 100010/100150: every clip at least 5 bps
    assert spread.qty == Decimal("0.5") and spread.state is SpreadState.OPEN
    assert spread.long_cost == Decimal("0.2") * 100_000 + Decimal("0.3") * 100_010
    assert r.signal.stats.acks == 3 and r.trading.stats.acks == 3
    assert r.trading.spreads[spread.spread_id].qty == Decimal("0.5")
    assert len(r.repo.writes) == 3  # each ACK written (both legs in the write)
    assert all(len(w.reply.legs) == 2 for w in r.repo.writes if w.reply is not None)


async def test_closes_partly_then_fully_as_the_spread_converges() -> None:
    r = await rig()
    await r.books(WIDE_SPOT, WIDE_PERP)
    # the exit: sell spot at its bid, buy the perp at its ask. Only the first level is worth it (>= 5 bps)
    await r.books(
        book(SPOT, [("100150", "0.3"), ("99950", "5")], [("100160", "5")], 2),
        book(PERP, [("100100", "5")], [("100110", "5")], 2),
    )
    spread = r.signal.spreads[LONG_SPOT.key]
    assert spread.qty == Decimal("0.2")
    await r.books(
        book(SPOT, [("100150", "5")], [("100160", "5")], 3), book(PERP, [("100100", "5")], [("100110", "5")], 3)
    )
    assert LONG_SPOT.key not in r.signal.spreads and r.trading.spreads == {}
    closed = r.repo.rows[spread.spread_id]
    assert closed.state is SpreadState.CLOSED and closed.net_realised > 0
    assert r.trading.exposure.total() == 0


async def test_a_stale_book_is_ignored_and_counted_in_the_metrics() -> None:
    r = await rig(max_book_age_ms=500)
    metrics = ServiceMetrics("signal")
    signal = SignalEngine(r.clock, settings(max_book_age_ms=500), instrument_of, r.trading.handle, metrics=metrics)
    signal.on_book(WIDE_SPOT)
    await r.clock.advance(1)
    signal.on_book(WIDE_PERP)
    await signal.settle()
    assert signal.spreads == {} and r.trading.stats.acks == 0
    assert signal.stats.stale_skips >= 1
    page = metrics.exposition()[0].decode()
    assert 'tradewind_spread_stale_books_total{category="spot",exchange="sim",symbol="BTCUSDT"}' in page


async def test_unsubscribing_removes_the_book_and_the_group_membership() -> None:
    r = await rig(max_spread_qty="0.0001")  # too small to trade
    await r.books(WIDE_SPOT, WIDE_PERP)
    assert len(r.signal.groups.pairs("BTCUSDT")) == 2
    r.signal.remove(PERP)
    assert r.signal.groups.pairs("BTCUSDT") == [] and r.signal.groups.members("BTCUSDT") == (SPOT,)
    assert [v.pair for v in r.signal.view()] == []


async def test_an_oscillating_spread_trades_only_the_round_trip_cap() -> None:
    r = await rig(max_round_trips=2, round_trip_window_s=3600, min_hold_s=10, max_spread_qty="0.1")
    opened = (book(SPOT, [("99990", "5")], [("100000", "5")]), book(PERP, [("100080", "5")], [("100090", "5")]))
    converged = (book(SPOT, [("100000", "5")], [("100010", "5")]), book(PERP, [("100010", "5")], [("100020", "5")]))
    for _ in range(10):  # 8 bps at entry, then a 2-bp exit spread, ten times over
        await r.books(*opened)
        await r.clock.advance(5)
        await r.books(*converged)  # held 5 s < min hold 10 s: nothing closes yet
        await r.clock.advance(6)
        await r.books(*converged)
    opens = [w for w in r.repo.writes if w.action is not None and w.action.value == "open"]
    assert len(opens) == 2 and r.signal.spreads == {}


async def test_a_timeout_is_unknown_and_reconciled_never_taken_as_a_nack() -> None:
    r = await rig()
    lost: list[SpreadOrder] = []

    async def answer_then_lose(order: SpreadOrder) -> SpreadReply:
        reply = await r.trading.handle(order)  # the engine did the trade...
        if not lost:
            lost.append(order)
            raise RequestTimeout("no reply on 'rpc.orders' within 5 s")  # ...but the reply was lost
        return reply

    signal = SignalEngine(r.clock, settings(max_spread_qty="0.2"), instrument_of, answer_then_lose)
    signal.on_book(WIDE_SPOT)
    signal.on_book(WIDE_PERP)
    await signal.settle()
    assert signal.stats.unknown == 1 and signal.spreads == {}
    signal.on_book(WIDE_PERP)  # the next evaluation sends the same request again
    await signal.settle()
    assert r.trading.stats.duplicates == 1  # answered with the first verdict: ACK
    assert signal.spreads[LONG_SPOT.key].qty == Decimal("0.2") and r.trading.exposure.total() > 0
