"""UnifiedCcxtGateway's order stream (ccxt.pro ``watch_orders`` + ``watch_my_trades``) with ``api: unified`` on the
Bybit-protocol server: a fill of our resting order by another account is published once, its numbers exact Decimals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.bybit_server import Served
from tests.support.order_stream import SYMBOL, OrderEvents, following, limit
from tests.support.waiting import wait_for
from tradewind.adapters.exchanges.ccxt import UnifiedCcxtGateway
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.application.venue import VenueOrderStatus
from tradewind.domain.orders import OrderIntent, OrderState
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import ccxt_gateway

D = Decimal
KEY = "trader-1"


@pytest.fixture
async def published(sim_server: Served) -> AsyncIterator[tuple[PublishingGateway, OrderEvents]]:
    inner = ccxt_gateway(sim_server.url, KEY, api="unified")
    assert isinstance(inner, UnifiedCcxtGateway)
    async with following(inner, sim_server, KEY) as followed:
        yield followed


async def test_a_fill_by_another_account_is_published_once_with_exact_decimals(
    sim_server: Served, published: tuple[PublishingGateway, OrderEvents]
) -> None:
    gateway, events = published
    venue = sim_server.venue
    price, qty = D("59995.3"), D("0.012345")
    intent = OrderIntent("ours-u1", "pro", Category.SPOT, SYMBOL, Side.BUY, OrderType.LIMIT, qty, price)
    assert (await gateway.place_order(intent)).state is OrderState.NEW
    limit(venue, "trader-2", Side.SELL, "0.012345", "59995.3", link_id="theirs-u1")
    await wait_for(lambda: len(events.fills("ours-u1")) == 1 and events.has_state("ours-u1", OrderState.FILLED)())
    # A second trade of ours: ccxt.pro hands over only new trades, so the first must not come back with it. Sent
    # around the gateway, its fill has no client id (the gateway never saw the order): it is found by trade id.
    later = limit(venue, KEY, Side.BUY, "0.001", "60010", link_id="later-u1")
    account = venue.account(KEY)
    assert account is not None and later.status is VenueOrderStatus.FILLED
    (later_exec,) = [e for e in account.executions if e.order_link_id == "later-u1"]
    await wait_for(lambda: any(u.trade_id == later_exec.exec_id for u in events.seen))
    (execution,) = [e for e in account.executions if e.order_link_id == "ours-u1"]
    (fill,) = events.fills("ours-u1")
    assert (fill.trade_id, fill.price, fill.qty, fill.fee, fill.fee_currency, fill.is_maker) == (
        execution.exec_id, D("59995.3"), D("0.012345"), execution.fee, "BTC", True,
    )  # fmt: skip
    assert all(type(v) is Decimal for v in (fill.price, fill.qty, fill.fee, fill.filled_qty))
    assert str(fill.qty) == "0.012345" and str(fill.fee) == str(execution.fee)
    assert events.states("ours-u1")[0] == (OrderState.NEW, D(0))
    assert events.states("ours-u1")[-1] == (OrderState.FILLED, D("0.012345"))
    assert len([s for s, _ in events.states("ours-u1") if s is OrderState.FILLED]) == 1
