"""BybitV5Gateway's pushed order stream, through PublishingGateway, when the sim-exchange reports late and fills in
odd pieces: the REST answer comes first, every execution is then published exactly once, and they sum to the order."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
from pydantic import SecretStr

from tests.support.bybit_server import Served, secret_of
from tests.support.faults import put_faults
from tests.support.order_stream import SYMBOL, following
from tests.support.waiting import wait_for
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import BybitV5Gateway
from tradewind.adapters.exchanges.settings import Credentials
from tradewind.domain.orders import OrderIntent, OrderState
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import sim_server_settings

D = Decimal
KEY = "trader-1"


async def test_late_split_reports_are_published_once_each_and_sum_to_the_filled_qty(sim_server: Served) -> None:
    credentials = Credentials(SecretStr(KEY), SecretStr(secret_of(KEY)))
    inner = BybitV5Gateway("bybit", sim_server_settings(sim_server.url), credentials, WallClock())
    rules = [
        {"kind": "late_report", "account": KEY, "params": {"delay_ms": 300}},
        {"kind": "odd_partial_fills", "account": KEY, "route": "spot.BTCUSDT", "params": {"max_pieces": 6}},
    ]
    async with following(inner, sim_server, KEY) as (gateway, events), aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, rules, seed=11)
        intent = OrderIntent("odd-1", "bybit", Category.SPOT, SYMBOL, Side.BUY, OrderType.MARKET, D("0.03"), None)
        result = await gateway.place_order(intent)
        assert (result.state, result.filled_qty) == (OrderState.FILLED, D("0.03"))  # from REST, before the stream
        await wait_for(lambda: sum((f.qty or D(0) for f in events.fills("odd-1")), D(0)) == D("0.03"))
        await wait_for(events.has_state("odd-1", OrderState.FILLED))

    account = sim_server.venue.account(KEY)
    assert account is not None
    executions = [e.exec_id for e in account.executions if e.order_link_id == "odd-1"]
    published = [f.trade_id for f in events.fills("odd-1")]
    assert len(executions) > 1 and sorted(published) == sorted(executions)  # each piece once, none twice
