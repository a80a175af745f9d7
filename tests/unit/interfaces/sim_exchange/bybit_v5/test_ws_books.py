"""Top-N order-book streams: exact diffs, the client's book equals the engine's at every published seq."""

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.clock import SimClock
from tradewind.application.venue import SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.book_diff import apply_diff, top_diff
from tradewind.interfaces.sim_exchange.bybit_v5.ws_books import BookFeed, MarketBook

Level = tuple[int, int]


def _side(prices: list[int], qtys: list[int], descending: bool) -> list[Level]:
    return sorted(zip(sorted(set(prices)), qtys, strict=False), reverse=descending)


@given(st.lists(st.integers(1, 40), max_size=12), st.lists(st.integers(1, 40), max_size=12), st.booleans(), st.data())
def test_applying_the_diff_to_the_old_view_gives_the_new_one(
    old_prices: list[int], new_prices: list[int], descending: bool, data: st.DataObject
) -> None:
    qtys = st.lists(st.integers(1, 5), min_size=12, max_size=12)
    old = _side(old_prices, data.draw(qtys), descending)
    new = _side(new_prices, data.draw(qtys), descending)
    changes = top_diff(old, new, descending=descending)
    view = dict(old)
    apply_diff(view, changes)  # raises KeyError on a delete of a price the client does not hold
    assert sorted(view.items(), reverse=descending) == new
    assert [p for p, _ in changes] == sorted({p for p, _ in changes}, reverse=descending)  # book order, no repeats
    assert all(dict(old).get(p) != q for p, q in changes)  # only what changed


def test_an_unchanged_view_has_no_diff() -> None:
    view = [(10, 1), (9, 2)]
    assert top_diff(view, list(view), descending=True) == []


def _venue() -> tuple[SimVenue, MatchingEngine]:
    engines = [MatchingEngine(i) for i in default_instruments()]
    venue = SimVenue(engines, SimClock(), VenueSettings())
    engine = venue.engine(Category.LINEAR, "BTCUSDT")
    return venue, engine


class Client:
    """A client as Bybit's docs describe it: reset on a snapshot, apply deltas."""

    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.u = self.seq = 0
        self.kinds: list[str] = []

    def take(self, text: str) -> None:
        msg: dict[str, Any] = json.loads(text)
        data = msg["data"]
        self.kinds.append(msg["type"])
        if msg["type"] == "snapshot":
            self.bids, self.asks = {}, {}
        for book, levels in ((self.bids, data["b"]), (self.asks, data["a"])):
            for price, qty in levels:
                if Decimal(qty) == 0:
                    del book[Decimal(price)]
                else:
                    book[Decimal(price)] = Decimal(qty)
        self.u, self.seq = data["u"], data["seq"]

    def levels(self, engine: MatchingEngine, depth: int) -> tuple[list[Level], list[Level]]:
        inst = engine.instrument
        bids = sorted(((inst.price_to_ticks(p), inst.qty_to_lots(q)) for p, q in self.bids.items()), reverse=True)
        asks = sorted((inst.price_to_ticks(p), inst.qty_to_lots(q)) for p, q in self.asks.items())
        assert len(bids) <= depth and len(asks) <= depth
        return bids, asks


ops = st.lists(
    st.tuples(st.sampled_from(["bid", "ask", "cancel", "take"]), st.integers(0, 8), st.integers(1, 4), st.booleans()),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_the_client_book_equals_the_engine_top_n_at_every_published_seq(
    script: list[tuple[str, int, int, bool]],
) -> None:
    venue, engine = _venue()
    depth = 3  # small, so levels keep entering and leaving the top N
    feed = BookFeed(MarketBook(venue, Category.LINEAR, "BTCUSDT"), depth, 0.02, 3.0)
    client = Client()
    for text in feed.welcome(0):
        client.take(text)
    truth = {engine.seq: engine.snapshot(depth)}
    for n, (kind, offset, lots, poll) in enumerate(script):
        if kind == "bid":
            engine.submit(f"o{n}", Side.BUY, OrderType.LIMIT, lots, 600_000 - offset)
        elif kind == "ask":
            engine.submit(f"o{n}", Side.SELL, OrderType.LIMIT, lots, 600_001 + offset)
        elif kind == "cancel":
            live = list(engine.open_order_ids())
            if live:
                engine.cancel(live[offset % len(live)])
        else:
            engine.submit(f"o{n}", Side.BUY if offset % 2 else Side.SELL, OrderType.MARKET, lots)
        truth[engine.seq] = engine.snapshot(depth)
        if poll:
            for text in feed.poll(0, 0.0):
                client.take(text)
                snap = truth[client.seq]
                assert client.levels(engine, depth) == (snap.bids, snap.asks)
                assert client.u == client.seq
    for text in feed.poll(0, 0.0):
        client.take(text)
    final = engine.snapshot(depth)
    assert client.levels(engine, depth) == (final.bids, final.asks)
    assert set(client.kinds[1:]) <= {"delta"}


def test_depth_1_is_snapshot_only_and_resent_unchanged_after_the_refresh_period() -> None:
    venue, engine = _venue()
    feed = BookFeed(MarketBook(venue, Category.LINEAR, "BTCUSDT"), 1, 0.01, 3.0)
    engine.submit("b1", Side.BUY, OrderType.LIMIT, 5, 590_000)
    (first,) = feed.poll(1, 10.0)
    engine.submit("b2", Side.BUY, OrderType.LIMIT, 5, 580_000)  # below the top: nothing to send
    assert feed.poll(2, 11.0) == []
    assert feed.poll(3, 12.9) == []
    (again,) = feed.poll(4, 13.0)
    a, b = json.loads(first), json.loads(again)
    assert a["type"] == b["type"] == "snapshot"
    assert a["data"] == b["data"]  # same levels, same u
    assert a["data"]["b"] == [["59000", "0.005"]]


def test_reset_restarts_u_at_1_and_deltas_count_on_from_there() -> None:
    venue, engine = _venue()
    market = MarketBook(venue, Category.LINEAR, "BTCUSDT")
    feed = BookFeed(market, 50, 0.02, 3.0)
    for i in range(5):
        engine.submit(f"a{i}", Side.SELL, OrderType.LIMIT, 1, 600_010 + i)
    feed.poll(0, 0.0)
    market.reset()
    (snapshot,) = feed.reset(0, 0.0)
    engine.submit("b", Side.BUY, OrderType.LIMIT, 1, 590_000)
    (delta,) = feed.poll(0, 0.0)
    s, d = json.loads(snapshot), json.loads(delta)
    assert (s["type"], s["data"]["u"], s["data"]["seq"]) == ("snapshot", 1, 5)
    assert (d["type"], d["data"]["u"], d["data"]["seq"]) == ("delta", 2, 6)
    assert len(s["data"]["a"]) == 5


def test_a_market_outside_the_venue_cannot_be_streamed() -> None:
    venue, _ = _venue()
    with pytest.raises(Exception, match="DOGEUSDT"):
        MarketBook(venue, Category.LINEAR, "DOGEUSDT")
