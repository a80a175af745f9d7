"""Engine reports become exact Decimal market data; mids and books only when they changed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.domain.market import InstrumentRef
from tradewind.domain.matching import MatchingEngine
from tradewind.domain.simulation.tape import MarketTape
from tradewind.domain.values import Category, OrderType, Side

from .simulation_support import PERP, SPOT, instrument

REF = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT")


def tape_and_engine(depth: int = 50) -> tuple[MarketTape, MatchingEngine]:
    engine = MatchingEngine(instrument(SPOT))
    return MarketTape(REF, engine, depth), engine


def test_a_fill_becomes_a_trade_tick_in_exact_price_and_size() -> None:
    tape, engine = tape_and_engine()
    engine.submit("m1", Side.SELL, OrderType.LIMIT, 7_692, 650_123)
    report = engine.submit("t1", Side.BUY, OrderType.MARKET, 1_000, ts=42)
    events = tape.events([report], 99)
    [trade] = events.trades
    assert (trade.price, trade.qty, trade.taker_side, trade.ts_ns) == (
        Decimal("65012.3"),
        Decimal("0.001"),
        Side.BUY,
        42,
    )
    assert trade.trade_id == "1" and trade.ref == REF


def test_mid_is_published_only_when_it_changes() -> None:
    tape, engine = tape_and_engine()
    engine.submit("b", Side.BUY, OrderType.LIMIT, 100, 650_000)
    assert tape.events([], 1).mid is None  # one side only: no mid
    engine.submit("a", Side.SELL, OrderType.LIMIT, 100, 650_005)
    mid = tape.events([], 2).mid
    assert mid is not None
    assert (mid.mid, mid.best_bid, mid.best_ask) == (Decimal("65000.25"), Decimal("65000.0"), Decimal("65000.5"))
    engine.submit("b2", Side.BUY, OrderType.LIMIT, 100, 649_990)  # deeper: the mid stays
    assert tape.events([], 3).mid is None
    engine.submit("b3", Side.BUY, OrderType.LIMIT, 100, 650_001)
    assert tape.events([], 4).mid is not None


def test_book_is_published_only_when_its_sequence_moved_and_is_cut_to_depth() -> None:
    tape, engine = tape_and_engine(depth=3)
    for i in range(5):
        engine.submit(f"b{i}", Side.BUY, OrderType.LIMIT, 10 + i, 650_000 - i)
        engine.submit(f"a{i}", Side.SELL, OrderType.LIMIT, 20 + i, 650_010 + i)
    book = tape.events([], 1).book
    assert book is not None and book.seq == engine.seq
    assert [p for p, _ in book.bids] == [Decimal("65000.0"), Decimal("64999.9"), Decimal("64999.8")]
    assert [q for _, q in book.asks] == [Decimal("0.000020"), Decimal("0.000021"), Decimal("0.000022")]
    assert tape.events([], 2).book is None
    engine.cancel("b4")
    assert tape.events([], 3).book is not None


def test_a_book_with_fewer_levels_than_the_depth_is_published_whole() -> None:
    tape, engine = tape_and_engine(depth=50)
    for i in range(45):  # fewer levels than the depth, more than half of it
        engine.submit(f"b{i}", Side.BUY, OrderType.LIMIT, 10, 650_000 - i)
    book = tape.events([], 1).book
    assert book is not None and len(book.bids) == 45 and book.asks == ()
    assert book.bids[0][0] == Decimal("65000.0")


def test_a_tape_refuses_an_engine_of_another_market() -> None:
    with pytest.raises(ValueError, match="does not match"):
        MarketTape(REF, MatchingEngine(instrument(PERP)))
    with pytest.raises(ValueError, match="depth"):
        MarketTape(REF, MatchingEngine(instrument(SPOT)), depth=0)
