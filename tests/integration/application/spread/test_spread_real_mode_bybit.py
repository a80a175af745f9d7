"""Real mode against the Bybit-protocol simulator server over loopback, through ccxt: when the venue refuses the
second leg (a ``maintenance`` fault put in force right after the first leg filled), the first leg is unwound at
market, the answer is NACK with both outcomes, and the exposure ends at zero, at the engine and at the venue."""

from __future__ import annotations

import time
from decimal import Decimal

import aiohttp
from pydantic import SecretStr

from tests.fakes.spread_repository import FakeSpreadRepository
from tests.support.bybit_server import Served, secret_of
from tests.support.faults import put_faults
from tests.support.spread import LONG_SPOT, settings
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import BybitV5Gateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.spread.trading import TradingEngine
from tradewind.domain.orders import OrderIntent, OrderResult
from tradewind.domain.spread.orders import LegStatus, SpreadAction, SpreadOrder, Verdict
from tradewind.domain.values import Category, Side

KEY = "trader-1"
REFUSE_NEXT_ORDER = [{"kind": "maintenance", "account": KEY, "route": "/v5/order/create", "count": 1}]


class RefusingAfterFirstLeg(BybitV5Gateway):
    """The real gateway; once the first order has filled, the server is told to refuse the next order once."""

    served: Served
    placed: list[OrderIntent]

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        self.placed.append(intent)  # every order sent, the refused one too
        result = await super().place_order(intent)
        if len(self.placed) == 1:
            async with aiohttp.ClientSession() as http:
                await put_faults(http, self.served, REFUSE_NEXT_ORDER)
        return result


async def test_a_refused_second_leg_is_unwound_and_nothing_is_left_open(sim_server: Served) -> None:
    config = ExchangeSettings.model_validate(
        {
            "type": "bybit",
            "env": "sim-server",
            "url": sim_server.url,
            "timeout_s": 5,
            "backoff_s": 0.01,
            "max_retries": 0,
        }  # a busy venue is retryable: without retries, one busy answer fails the leg
    )
    gateway = RefusingAfterFirstLeg("sim", config, Credentials(SecretStr(KEY), SecretStr(secret_of(KEY))), WallClock())
    gateway.served, gateway.placed = sim_server, []
    await gateway.load_instruments()
    repo = FakeSpreadRepository()
    trading = TradingEngine(repo, WallClock(), settings(mode="real"), {"sim": gateway})
    await trading.start()
    try:
        order = SpreadOrder("rq1", "s1", SpreadAction.OPEN, LONG_SPOT, Decimal("0.01"), Decimal(60_010),
                            Decimal(59_990), time.time_ns())  # fmt: skip
        reply = await trading.handle(order)
    finally:
        await gateway.close()
    assert reply.verdict is Verdict.NACK and "second leg failed" in reply.reason
    first, second = reply.legs
    assert (first.status, first.filled_qty, first.unwound_qty) == (LegStatus.UNWOUND, Decimal("0.01"), Decimal("0.01"))
    assert first.price == Decimal(60_010) and first.unwind_price == Decimal(59_990)  # bought at the ask, sold at bid
    assert second.status is LegStatus.FAILED and "busy" in second.detail.lower()
    assert [(i.category, i.side) for i in gateway.placed] == [
        (Category.SPOT, Side.BUY), (Category.LINEAR, Side.SELL), (Category.SPOT, Side.SELL),
    ]  # fmt: skip
    assert trading.exposure.total() == 0 and trading.spreads == {}
    venue = sim_server.venue
    assert venue.positions(KEY, "BTCUSDT")[0].size == 0  # no perp was ever opened
    spot = [e for e in venue.account(KEY).executions if e.category is Category.SPOT]  # type: ignore[union-attr]
    assert sum(e.exec_qty if e.side is Side.BUY else -e.exec_qty for e in spot) == 0  # spot bought and sold back
    recorded = repo.writes[-1]
    assert recorded.reply == reply and recorded.spread.realised == Decimal("-0.20")  # the unwind's cost is booked
