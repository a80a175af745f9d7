"""The trader's sync on the simulated venue and a real database: seven exchange-protected deals on two symbols cost
two fills reads per look (one per symbol), and each stop's close is still recorded from that deal's own pair's fills,
the others untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.signals import signal
from tests.support.venue_rig import CountingGateway, venue_rig
from tests.support.venue_rig import VenueRig as Rig
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.trading.service import TraderService
from tradewind.domain.trading.deals import Deal, DealStatus, Protection

D = Decimal
# source -> (symbol, stop-loss %): a and b on BTCUSDT and f on ETHUSDT are hit by the prices below, the others not.
DEALS = {
    "a": ("BTCUSDT", "1"), "b": ("BTCUSDT", "2"), "c": ("BTCUSDT", "3"), "d": ("BTCUSDT", "3"), "e": ("BTCUSDT", "3"),
    "f": ("ETHUSDT", "1"), "g": ("ETHUSDT", "3"),
}  # fmt: skip
PRICE = {"BTCUSDT": "60000", "ETHUSDT": "3000"}


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[Rig]:
    async with venue_rig(database) as the_rig:
        yield the_rig


async def _open_all(trader: TraderService) -> dict[str, Deal]:
    deals = {}
    for source, (symbol, stop_loss) in DEALS.items():
        handled = await trader.handle(
            signal(exchange="sim", sid=f"{source}1", source=source, symbol=symbol, price=PRICE[symbol],
                   stop_loss_pct=stop_loss)
        )  # fmt: skip
        assert handled.deal is not None and handled.deal.protection is Protection.EXCHANGE, handled
        deals[source] = handled.deal
    return deals


async def test_seven_deals_on_two_symbols_read_the_fills_twice_a_look_and_each_close_is_its_own_pairs(
    rig: Rig,
) -> None:
    gateway = CountingGateway(rig.venue, "trader-1", "sim")
    trader = rig.trader(gateway=gateway)
    await trader.start()
    deals = await _open_all(trader)
    assert [deals[s].stop_loss for s in "abcfg"] == [
        D(p) for p in ("59409.9", "58809.8", "58209.7", "2970.99", "2910.97")
    ]

    gateway.calls.clear()
    await trader.sync_protected()  # no stop fired: seven deals looked at
    assert gateway.calls == {"fetch_fills": 2, "fetch_positions": 1}  # one per symbol, one per account (was 7 and 1)

    await rig.clock.advance(60)
    rig.trade_at("58500")  # through a's (59409.9) and b's (58809.8) stop-losses, above c, d and e's (58209.7)
    rig.trade_at("2950", symbol="ETHUSDT")  # through f's (2970.99), above g's (2910.97)
    gateway.calls.clear()
    await trader.sync_protected()
    assert gateway.calls == {"fetch_fills": 2, "fetch_positions": 1}

    repo = SqlDealRepository(rig.database)
    account = rig.venue.account("trader-1")
    assert account is not None
    for source, deal in deals.items():
        now = await repo.by_client_order_id("sim", deal.client_order_id)
        assert now is not None
        if source not in ("a", "b", "f"):
            assert now.status is DealStatus.OPEN, source
            continue
        own = [e for e in account.executions if e.order_id == deal.sl_order_id]  # its own stop-loss's fills only
        assert own and sum(e.exec_qty for e in own) == deal.qty, source
        assert (now.status, now.stop_loss_hit, now.note) == (DealStatus.CLOSED, True, ""), source
        assert now.close_fee == sum(e.fee for e in own), source
        assert now.close_price == own[0].exec_price == D("58500" if deal.symbol == "BTCUSDT" else "2950"), source
    assert trader.differences == []

    gateway.calls.clear()
    await trader.sync_protected()  # four open deals left, still on both symbols
    assert gateway.calls == {"fetch_fills": 2, "fetch_positions": 1}
    await trader.stop()


async def test_a_look_with_the_deals_on_one_symbol_only_reads_that_symbols_fills(rig: Rig) -> None:
    gateway = CountingGateway(rig.venue, "trader-1", "sim")
    trader = rig.trader(gateway=gateway)
    deals = await _open_all(trader)
    await rig.clock.advance(60)
    rig.trade_at("2900", symbol="ETHUSDT")  # both ETH deals' stops fire: no deal of ETHUSDT left open
    await trader.sync_protected()
    repo = SqlDealRepository(rig.database)
    for source in ("f", "g"):
        now = await repo.by_client_order_id("sim", deals[source].client_order_id)
        assert now is not None and now.status is DealStatus.CLOSED and now.stop_loss_hit, source
    gateway.calls.clear()
    await trader.sync_protected()
    assert gateway.calls == {"fetch_fills": 1, "fetch_positions": 1}


async def test_a_deal_older_than_a_week_shares_its_symbols_read_and_every_stop_is_found(rig: Rig) -> None:
    """The gateways read a venue answering a week at a time window by window, so one read since the old deal reaches
    the newer ones' fills (over loopback on the Bybit face: tests/.../adapters/exchanges/test_fill_windows.py)."""
    gateway = CountingGateway(rig.venue, "trader-1", "sim")
    trader = rig.trader(gateway=gateway)
    old = (await trader.handle(signal(exchange="sim", sid="o1", source="old", price="60000"))).deal
    await rig.clock.advance(8 * 24 * 3_600)
    deals = await _open_all(trader)
    gateway.calls.clear()
    await trader.sync_protected()
    assert gateway.calls == {"fetch_fills": 2, "fetch_positions": 1}  # BTCUSDT's (since the old deal), ETHUSDT's

    rig.trade_at("58500")  # a's and b's stops, and the old deal's (its stop-loss at the default 2 %: 58809.8)
    await trader.sync_protected()
    repo = SqlDealRepository(rig.database)
    assert old is not None and old.stop_loss == D("58809.8")
    for deal in (old, deals["a"], deals["b"]):
        now = await repo.by_client_order_id("sim", deal.client_order_id)
        assert now is not None and (now.status, now.stop_loss_hit) == (DealStatus.CLOSED, True), deal.source
    assert trader.differences == []
