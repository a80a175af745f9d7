"""Two sources long one linear symbol through Bybit's V5 gateway on the sim-exchange (loopback HTTP): each deal's own
partial TP / SL pair (trading-stop Partial, its order ids found in order/realtime), a stop that closes one source only,
told by its order id at the restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.integration.adapters.exchanges.gateway_support import ccxt_gateway
from tests.support.bybit_server import Served
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.trading.service import TraderService
from tradewind.application.venue import OrderRequest
from tradewind.domain.trading.deals import DealStatus, Protection
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import StopKind

D = Decimal
LINEAR = Category.LINEAR


@pytest.fixture
async def gateway(sim_server: Served) -> AsyncIterator[CcxtGateway]:
    gw = ccxt_gateway(sim_server.url)
    await gw.load_instruments()
    yield gw
    await gw.close()


def trader(gateway: CcxtGateway, database: Database) -> TraderService:
    return TraderService(SqlDealRepository(database), {"simsrv": gateway}, InMemoryBus(), WallClock())


async def test_a_stop_of_one_source_closes_that_source_only_and_the_restart_tells_it_by_its_order_ids(
    gateway: CcxtGateway, sim_server: Served, sqlite_database: Database
) -> None:
    first = trader(gateway, sqlite_database)
    a = (
        await first.handle(signal(exchange="simsrv", sid="a1", source="trend-a", price="60000", stop_loss_pct="1"))
    ).deal
    b = (
        await first.handle(signal(exchange="simsrv", sid="b1", source="trend-b", price="60000", stop_loss_pct="3"))
    ).deal
    assert a is not None and b is not None and a.protection is b.protection is Protection.EXCHANGE
    account = sim_server.venue.account("trader-1")
    assert account is not None
    stops = {o.order_id: (o.stop_kind, o.qty, o.trigger_price) for o in account.conditional_orders("BTCUSDT")}
    assert stops == {  # the ids the gateway found in order/realtime are the venue's own orders of each deal
        a.tp_order_id: (StopKind.PARTIAL_TAKE_PROFIT, D("0.016"), a.take_profit),
        a.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, D("0.016"), D("59409.9")),
        b.tp_order_id: (StopKind.PARTIAL_TAKE_PROFIT, D("0.016"), b.take_profit),
        b.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, D("0.016"), D("58209.7")),
    }
    # The trader is down; the market trades at 59000: through A's stop-loss, above B's.
    venue = sim_server.venue
    venue.cancel_all("maker", LINEAR, "BTCUSDT")
    venue.place_order("trader-2", OrderRequest(LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), D("59000")))
    venue.place_order("trader-3", OrderRequest(LINEAR, "BTCUSDT", Side.SELL, OrderType.MARKET, D("0.01")))
    assert venue.position_view("trader-1", "BTCUSDT").size == D("0.016")

    second = trader(gateway, sqlite_database)
    await second.start()
    repo = SqlDealRepository(sqlite_database)
    a_now = await repo.by_client_order_id("simsrv", a.client_order_id)
    b_now = await repo.by_client_order_id("simsrv", b.client_order_id)
    assert a_now is not None and b_now is not None
    assert (a_now.status, a_now.stop_loss_hit, a_now.qty, a_now.close_price) == (
        DealStatus.CLOSED, True, D("0.016"), D("59000"),
    )  # fmt: skip
    assert b_now.status is DealStatus.OPEN and second.differences == []
    left = {o.order_id for o in account.conditional_orders("BTCUSDT")}
    assert left == {b.tp_order_id, b.sl_order_id}
    await second.stop()
