"""The sim stream's deltas (top-of-book differences) rebuild the engine's book exactly in a LocalBook."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.exchanges.sim.stream import _diff, _levels
from tradewind.application.marketdata.book import LocalBook
from tradewind.application.ports.market_data import BookUpdate, UpdateKind
from tradewind.domain.instruments import default_instruments
from tradewind.domain.market import InstrumentRef

INST = default_instruments()[0]
REF = InstrumentRef("sim", INST.category, INST.symbol, "k")
sides = st.dictionaries(st.integers(1, 40), st.integers(1, 5), max_size=12)


@given(st.lists(st.tuples(sides, sides), min_size=1, max_size=12))
def test_snapshot_then_diffs_leave_the_local_book_equal_to_the_last_engine_book(
    books: list[tuple[dict[int, int], dict[int, int]]],
) -> None:
    local = LocalBook(REF, contiguous_u=False)
    (bids, asks), rest = books[0], books[1:]
    local.apply(BookUpdate(UpdateKind.SNAPSHOT, _levels(INST, bids), _levels(INST, asks), 1, 1, 0))
    for seq, (new_bids, new_asks) in enumerate(rest, start=2):
        delta = BookUpdate(
            UpdateKind.DELTA, _levels(INST, _diff(bids, new_bids)), _levels(INST, _diff(asks, new_asks)), seq, seq, 0
        )
        local.apply(delta)
        bids, asks = new_bids, new_asks
    assert local.synced
    assert local.bids == dict(_levels(INST, bids))
    assert local.asks == dict(_levels(INST, asks))
