"""The Binance face's ``myTrades`` ids: one per execution, so the pieces of a fill cut by ``odd_partial_fills`` stay
apart; the maker and the taker of one trade share theirs; ids only grow, also when a venue is served again."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tests.support.twap import make_venue
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import MarketUnit, OrderRequest
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.binance_spot.ids import OrderIds


def _in_three(api_key: str, _inst: Instrument, lots: int) -> Sequence[int] | None:
    return [1, 1, lots - 2] if api_key == "trader" and lots > 2 else None


def test_each_piece_of_a_cut_fill_has_its_own_id_and_the_maker_shares_the_first() -> None:
    venue = make_venue(SimClock())
    ids = OrderIds(venue)
    venue.set_fill_splitter(_in_three)
    ask = OrderRequest(Category.SPOT, "BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.1"), Decimal(60000))
    venue.place_order("maker", ask)
    buy = OrderRequest(
        Category.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.01"), market_unit=MarketUnit.BASE
    )
    venue.place_order("trader", buy)
    venue.place_order("trader", buy)
    taker_account, maker_account = venue.account("trader"), venue.account("maker")
    assert taker_account is not None and maker_account is not None
    taker = [ids.trade_of(e) for e in taker_account.executions]
    maker = [ids.trade_of(e) for e in maker_account.executions]
    assert len(taker) == 6 and len(set(taker)) == 6  # two fills, three pieces each, six ids
    assert taker == sorted(taker)  # paging by fromId follows the account's order
    assert maker == [taker[0], taker[3]]  # one trade, one id on both sides

    again = OrderIds(venue)  # the venue served again: what happened before is numbered in the same way
    assert [again.trade_of(e) for e in taker_account.executions] == taker
    assert [again.trade_of(e) for e in maker_account.executions] == maker
