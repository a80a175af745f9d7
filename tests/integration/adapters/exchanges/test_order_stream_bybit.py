"""BybitV5Gateway's private WebSocket stream against the Bybit-protocol server on loopback, through PublishingGateway:
a fill of our resting order by another account is published with no fetch call, a server-side disconnect is followed
by a reconnect after which the next fill is published exactly once, and wrong credentials stop only the stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tests.support.bybit_server import Served, secret_of
from tests.support.bybit_ws import ws_server
from tests.support.order_stream import SYMBOL, OrderEvents, following, limit
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import BybitV5Gateway
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.exchanges.settings import Credentials
from tradewind.application.ports.exchange import ExchangeError, OrderStreamRefused
from tradewind.domain.orders import OrderIntent, OrderState
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.bybit_v5.ws_private import PrivateHub

from .gateway_support import sim_server_settings

D = Decimal
KEY = "trader-1"


@dataclass
class Setup:
    served: Served
    gateway: PublishingGateway
    events: OrderEvents

    @property
    def hub(self) -> PrivateHub:
        hub: PrivateHub = ws_server(self.served).private
        return hub


def bybit_gateway(served: Served, secret: str | None = None) -> BybitV5Gateway:
    credentials = Credentials(SecretStr(KEY), SecretStr(secret if secret is not None else secret_of(KEY)))
    return BybitV5Gateway("bybit", sim_server_settings(served.url), credentials, WallClock())


@pytest.fixture
async def setup(sim_server: Served) -> AsyncIterator[Setup]:
    async with following(bybit_gateway(sim_server), sim_server, KEY) as (gateway, events):
        yield Setup(sim_server, gateway, events)


def resting(cid: str) -> OrderIntent:
    """A spot buy above the seeded best bid (59 990), below the best ask: it rests and is the first to be hit."""
    return OrderIntent(cid, "bybit", Category.SPOT, SYMBOL, Side.BUY, OrderType.LIMIT, D("0.012345"), D("59995.3"))


async def sentinel(s: Setup, link_id: str) -> None:
    """An order of ours placed on the venue directly; pushes come in order, so once it is published all earlier are."""
    limit(s.served.venue, KEY, Side.SELL, "0.001", "70000", link_id=link_id)
    await wait_for(s.events.has_state(link_id, OrderState.NEW))


async def fill_ours(s: Setup, cid: str) -> None:
    """Our resting order (sent through the gateway) taken in full by trader-2 on the venue."""
    assert (await s.gateway.place_order(resting(cid))).state is OrderState.NEW
    theirs = limit(s.served.venue, "trader-2", Side.SELL, "0.012345", "59995.3", link_id=f"theirs-{cid}")
    assert theirs.cum_exec_qty == D("0.012345")


def execution_of(s: Setup, cid: str) -> tuple[str, Decimal]:
    account = s.served.venue.account(KEY)
    assert account is not None
    (execution,) = [e for e in account.executions if e.order_link_id == cid]
    return execution.exec_id, execution.fee


async def test_a_fill_by_another_account_is_pushed_and_published_without_any_fetch(setup: Setup) -> None:
    await fill_ours(setup, "ours-1")
    limit(setup.served.venue, "trader-2", Side.BUY, "0.01", "59000", link_id="theirs-2")  # not ours: not published
    await sentinel(setup, "sentinel-1")

    assert setup.events.states("ours-1") == [(OrderState.NEW, D(0)), (OrderState.FILLED, D("0.012345"))]
    (fill,) = setup.events.fills("ours-1")
    exec_id, fee = execution_of(setup, "ours-1")
    assert (fill.trade_id, fill.price, fill.qty, fill.fee, fill.fee_currency, fill.is_maker) == (
        exec_id, D("59995.3"), D("0.012345"), fee, "BTC", True,
    )  # fmt: skip
    assert fill.category is Category.SPOT and fill.side is Side.BUY
    assert {u.client_order_id for u in setup.events.seen} == {"ours-1", "sentinel-1"}


async def test_after_a_server_side_disconnect_the_next_fill_is_published_exactly_once(setup: Setup) -> None:
    before = set(setup.hub.sessions)
    for session in ws_server(setup.served).sessions():
        await session.close()
    await wait_for(lambda: any(s not in before and "execution" in s.topics for s in setup.hub.sessions))
    assert setup.gateway.streaming

    await fill_ours(setup, "ours-2")
    await sentinel(setup, "sentinel-2")
    fills = await setup.gateway.fetch_fills(Category.SPOT, SYMBOL, client_order_id="ours-2")  # polled: same fill
    await setup.gateway.fetch_order(Category.SPOT, SYMBOL, "ours-2")
    await sentinel(setup, "sentinel-3")

    exec_id, _ = execution_of(setup, "ours-2")
    assert [f.trade_id for f in fills] == [exec_id]
    assert [f.trade_id for f in setup.events.fills("ours-2")] == [exec_id]
    assert setup.events.states("ours-2") == [(OrderState.NEW, D(0)), (OrderState.FILLED, D("0.012345"))]


async def test_wrong_credentials_fail_the_stream_clearly_and_leave_rest_calls_as_they_were(sim_server: Served) -> None:
    wrong = bybit_gateway(sim_server, secret="not-the-secret")
    try:
        with pytest.raises(OrderStreamRefused, match=r"auth refused: .*signature verification failed") as refused:
            async for _ in wrong.order_updates():
                pass
        assert "not-the-secret" not in str(refused.value)

        bus = InMemoryBus()
        await bus.start()
        gateway = PublishingGateway(wrong, bus, WallClock(), reconnect_min_s=0.01)
        await gateway.start()
        await wait_for(lambda: not gateway.streaming)  # refused: given up, not retried in a loop
        instruments = await gateway.load_instruments()  # public REST works as before
        assert any(i.symbol == SYMBOL for i in instruments)
        assert (await gateway.fetch_ticker(Category.SPOT, SYMBOL)).bid == D("59990")
        with pytest.raises(ExchangeError, match="AuthenticationError"):  # private REST fails as it always did
            await gateway.fetch_balances()
        await bus.close()
    finally:
        await wrong.close()
    await wait_for(lambda: not ws_server(sim_server).private.sessions)  # the refused connection was closed
