"""The trader through Bybit's V5 gateway on the sim-exchange with its faults on: an order whose answer is lost is one
order and one position; an exchange that is down leaves nothing but a pending deal that the redelivery completes;
fills cut into odd pieces add up on the deal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest
from pydantic import SecretStr

from tests.support.bybit_server import Served, secret_of
from tests.support.faults import put_faults
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway, open_gateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.domain.trading.deals import DealStatus, deal_client_order_id
from tradewind.domain.values import Category

LINEAR = Category.LINEAR


@pytest.fixture
async def gateway(sim_server: Served) -> AsyncIterator[CcxtGateway]:
    settings = ExchangeSettings.model_validate(
        {"type": "bybit", "env": "sim-server", "url": sim_server.url, "timeout_s": 2, "backoff_s": 0.01,
         "max_retries": 1}
    )  # fmt: skip
    gw = open_gateway("simsrv", settings, Credentials(SecretStr("trader-1"), SecretStr(secret_of("trader-1"))),
                      WallClock())  # fmt: skip
    await gw.load_instruments()
    yield gw
    await gw.close()


def trader(gateway: CcxtGateway, database: Database) -> TraderService:
    return TraderService(SqlDealRepository(database), {"simsrv": gateway}, InMemoryBus(), WallClock())


def buy() -> object:
    return signal(exchange="simsrv", price="60000", amount="1000")


async def test_a_buy_whose_answer_is_lost_is_one_order_and_one_position(
    gateway: CcxtGateway, sim_server: Served, sqlite_database: Database
) -> None:
    async with aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, [{"kind": "timeout_after", "route": "/v5/order/create", "count": 1}])
    handled = await trader(gateway, sqlite_database).handle(buy())  # type: ignore[arg-type]
    assert handled.outcome is Outcome.OPENED and handled.deal is not None
    account = sim_server.venue.account("trader-1")
    assert account is not None
    cid = handled.deal.client_order_id
    assert len([o for o in account.orders_newest_first(open_only=False) if o.order_link_id == cid]) == 1
    assert sim_server.venue.position_view("trader-1", "BTCUSDT").size == handled.deal.qty


async def test_an_exchange_that_is_down_leaves_a_pending_deal_the_redelivery_completes(
    gateway: CcxtGateway, sim_server: Served, sqlite_database: Database
) -> None:
    service = trader(gateway, sqlite_database)
    async with aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, [{"kind": "server_error", "route": "/v5/order/*"}])
        with pytest.raises(ExchangeError):  # the bus redelivers the signal
            await service.handle(buy())  # type: ignore[arg-type]
        repo = SqlDealRepository(sqlite_database)
        pending = await repo.by_client_order_id("simsrv", deal_client_order_id("s1", "b"))
        assert pending is not None and pending.status is DealStatus.PENDING
        assert sim_server.venue.position_view("trader-1", "BTCUSDT").size == 0
        await put_faults(http, sim_server, [])
    handled = await service.handle(buy())  # type: ignore[arg-type]
    assert handled.outcome is Outcome.OPENED
    assert [d.status for d in await service.deals()] == [DealStatus.OPEN]


async def test_fills_cut_into_odd_pieces_add_up_on_the_deal(
    gateway: CcxtGateway, sim_server: Served, sqlite_database: Database
) -> None:
    async with aiohttp.ClientSession() as http:
        await put_faults(
            http, sim_server, [{"kind": "odd_partial_fills", "route": "linear.*", "params": {"max_pieces": 7}}]
        )
    handled = await trader(gateway, sqlite_database).handle(buy())  # type: ignore[arg-type]
    deal = handled.deal
    assert deal is not None
    fills = await gateway.fetch_fills(LINEAR, "BTCUSDT", client_order_id=deal.client_order_id)
    assert len(fills) > 1
    qty = sum(f.qty for f in fills)
    assert qty == deal.qty
    assert sum(f.fee for f in fills) == deal.fee
    assert sum((f.price * f.qty for f in fills), Decimal(0)) / qty == deal.price
