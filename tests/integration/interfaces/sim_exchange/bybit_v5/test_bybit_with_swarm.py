"""The server with the real trader swarm on the same engines: swarm flow fills client orders and fires stops.

The swarm is stepped here on a simulated clock; every Report goes both ways, as the composition root
wires it: the swarm's own to ``venue.on_engine_report``, the venue's to ``swarm.absorb``.
"""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import START, Served, signed, venue_settings
from tradewind.adapters.clock import SimClock
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.application.venue import SimVenue
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.simulation.swarm import Swarm
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server

D = Decimal
STEP_NS = 100_000_000
MAX_STEPS = 6_000  # ten simulated minutes: the give-up bound of every wait below


class Market:
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.engines = {i.key: MatchingEngine(i) for i in default_instruments()}
        self.swarm = Swarm(SimulatorSettings().swarm_config(), clock.now_ns(), self.engines)
        self.venue = SimVenue(self.engines.values(), clock, venue_settings())
        self.venue.add_report_listener(lambda inst, report: self.swarm.absorb(inst.key, [report]))

    async def step(self, n: int = 1) -> None:
        for _ in range(n):
            await self.clock.advance_to(self.clock.now_ns() + STEP_NS)
            for step in self.swarm.step(self.clock.now_ns()):
                inst = self.engines[step.key].instrument
                for report in step.reports:
                    self.venue.on_engine_report(inst, report)

    async def step_until(self, done: Any) -> int:
        for n in range(MAX_STEPS):
            if done():
                return n
            await self.step()
        raise AssertionError(f"condition not met within {MAX_STEPS} steps")


@pytest.fixture
async def market() -> AsyncIterator[tuple[Market, Served]]:
    m = Market(SimClock())
    await m.step(300)  # warm-up: books on both sides, a last price
    runner, port = await start_server(create_sim_exchange_app(m.venue, SimExchangeSettings(port=0)), "127.0.0.1", 0)
    yield m, Served(m.venue, f"http://127.0.0.1:{port}", runner)
    await runner.cleanup()


def _best(m: Market, key: str) -> tuple[D, D]:
    engine = m.engines[key]
    bid, ask = engine.best_bid(), engine.best_ask()
    assert bid is not None and ask is not None
    return engine.instrument.ticks_to_price(bid), engine.instrument.ticks_to_price(ask)


async def test_swarm_flow_fills_resting_client_orders_and_balances_reconcile(
    market: tuple[Market, Served], http: aiohttp.ClientSession
) -> None:
    m, served = market
    bid, ask = _best(m, "spot:BTCUSDT")
    ids = []
    for side, price in (("Buy", bid), ("Sell", ask)):
        order = {"category": "spot", "symbol": "BTCUSDT", "side": side, "orderType": "Limit", "qty": "0.001",
                 "price": str(price)}  # fmt: skip
        _, body, _ = await signed(http, served, "POST", "/v5/order/create", order)
        assert body["retCode"] == 0, body
        ids.append(body["result"]["orderId"])
    account = m.venue.account("trader-1")
    assert account is not None
    await m.step_until(lambda: any(e.is_maker for e in account.executions))
    _, execs, _ = await signed(http, served, "GET", "/v5/execution/list", {"category": "spot"})
    rows = execs["result"]["list"]
    assert rows and all(r["isMaker"] for r in rows) and {r["orderId"] for r in rows} <= set(ids)
    expected = dict(START)
    for r in rows:
        sign = 1 if r["side"] == "Buy" else -1
        expected["BTC"] += sign * D(r["execQty"])
        expected["USDT"] -= sign * D(r["execValue"])
        expected[r["feeCurrency"]] -= D(r["execFee"])
    _, wallet, _ = await signed(http, served, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
    balances = {c["coin"]: D(c["walletBalance"]) for c in wallet["result"]["list"][0]["coin"]}
    assert balances == expected


async def test_swarm_prices_fire_a_take_profit_or_stop_loss(
    market: tuple[Market, Served], http: aiohttp.ClientSession
) -> None:
    m, served = market
    buy = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01"}
    assert (await signed(http, served, "POST", "/v5/order/create", buy))[1]["retCode"] == 0
    last = m.venue.last_price(Category.LINEAR, "BTCUSDT")
    assert last is not None
    stop = {"category": "linear", "symbol": "BTCUSDT", "tpslMode": "Full", "positionIdx": 0,
            "takeProfit": str(last + 20), "stopLoss": str(last - 20)}  # fmt: skip
    _, body, _ = await signed(http, served, "POST", "/v5/position/trading-stop", stop)
    assert body["retCode"] == 0, body
    await m.step_until(lambda: m.venue.positions("trader-1", "BTCUSDT")[0].size == 0)
    _, history, _ = await signed(http, served, "GET", "/v5/order/history", {"category": "linear"})
    closes = [o for o in history["result"]["list"] if o["stopOrderType"] in ("TakeProfit", "StopLoss")]
    assert len(closes) == 1 and closes[0]["orderStatus"] == "Filled" and closes[0]["reduceOnly"]


async def test_klines_and_tickers_follow_the_swarms_trades(
    market: tuple[Market, Served], http: aiohttp.ClientSession
) -> None:
    m, served = market
    await m.step(600)  # one more simulated minute
    async with http.get(served.url + "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1") as resp:
        bars = (await resp.json())["result"]["list"]
    assert len(bars) >= 2
    assert all(D(low) <= D(o) <= D(high) and D(low) <= D(c) <= D(high) for _, o, high, low, c, _, _ in bars)
    assert int(bars[0][0]) > int(bars[-1][0])  # newest first
    async with http.get(served.url + "/v5/market/tickers?category=linear&symbol=BTCUSDT") as resp:
        (ticker,) = (await resp.json())["result"]["list"]
    assert D(ticker["lastPrice"]) == m.venue.tape(Category.LINEAR, "BTCUSDT").last_price
    assert D(ticker["volume24h"]) == sum(D(b[5]) for b in bars)
