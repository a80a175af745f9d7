"""A fill splitter (the simulator's ``odd_partial_fills`` fault) cuts a taker fill into several executions: quantity,
balances and fees stay exact, the maker side is untouched, and a splitter that does not conserve is ignored."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.application.venue import FillSplitter, MarketUnit, SimVenue, VenueOrderStatus
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, Side

from .venue_support import START, limit, make_venue, market

D = Decimal


def _cut(fractions: Sequence[int]) -> FillSplitter:
    """A splitter cutting ``lots`` in the proportions ``fractions`` (the remainder to the last piece)."""

    def split(api_key: str, inst: Instrument, lots: int) -> Sequence[int] | None:
        if api_key != "alice":
            return None
        total = sum(fractions)
        pieces = [lots * f // total for f in fractions[:-1]]
        pieces = [p for p in pieces if p > 0]
        return [*pieces, lots - sum(pieces)] if lots - sum(pieces) > 0 else pieces

    return split


def _fills(venue: SimVenue, key: str) -> list[tuple[D, D, D]]:
    account = venue.account(key)
    assert account is not None
    return [(e.exec_qty, e.exec_price, e.fee) for e in account.executions]


@settings(max_examples=40, deadline=None)
@given(fractions=st.lists(st.integers(1, 97), min_size=2, max_size=6), qty=st.sampled_from(["0.013", "0.1", "0.257"]))
def test_a_split_taker_fill_conserves_quantity_balance_and_fees(fractions: list[int], qty: str) -> None:
    venue = make_venue()
    venue.place_order("bob", limit(Category.SPOT, Side.SELL, "1", "60000"))
    venue.set_fill_splitter(_cut(fractions))
    order = venue.place_order("alice", market(Category.SPOT, Side.BUY, qty, market_unit=MarketUnit.BASE))
    fills = _fills(venue, "alice")
    assert order.status is VenueOrderStatus.FILLED and order.cum_exec_qty == D(qty)
    assert sum(q for q, _, _ in fills) == D(qty) and len(fills) >= 2 and all(q > 0 for q, _, _ in fills)
    btc = venue.wallet_view("alice").coin("BTC")
    assert btc is not None and btc.balance == START["BTC"] + D(qty) - sum(f for _, _, f in fills)
    assert [q for q, _, _ in _fills(venue, "bob")] == [D(qty)]  # the maker's side is one execution


def test_a_splitter_that_does_not_conserve_is_ignored_and_the_fill_settles_whole() -> None:
    venue = make_venue()
    venue.place_order("bob", limit(Category.SPOT, Side.SELL, "1", "60000"))
    venue.set_fill_splitter(lambda _key, _inst, lots: [lots, 1])
    order = venue.place_order("alice", market(Category.SPOT, Side.BUY, "0.1", market_unit=MarketUnit.BASE))
    assert order.cum_exec_qty == D("0.1") and [q for q, _, _ in _fills(venue, "alice")] == [D("0.1")]
