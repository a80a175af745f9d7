"""A scripted multi-account session through ccxt; then every balance equals start + fills - fees, exactly.

The check reads only what the REST API says (execution/list and wallet-balance strings), so it also
proves that nothing is lost or rounded on the way out.
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt

from tests.support.bybit_server import MAKER_START, START, TRADERS, Served, ccxt_client

D = Decimal


async def _all_executions(client: ccxt.bybit, category: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = ""
    while True:
        params = {"category": category, "limit": 100, **({"cursor": cursor} if cursor else {})}
        reply = await client.privateGetV5ExecutionList(params)
        rows += reply["result"]["list"]
        cursor = reply["result"]["nextPageCursor"]
        if not cursor:
            return rows


async def _script(clients: dict[str, ccxt.bybit]) -> None:
    t1, t2, t3 = (clients[k] for k in TRADERS)
    # spot: takers against the maker, a resting order inside the spread taken by another trader, cancels
    await t1.create_order("BTC/USDT", "market", "buy", 0.05)
    resting = await t1.create_order("BTC/USDT", "limit", "sell", 0.02, 60005)
    await t2.create_order("BTC/USDT", "market", "buy", 0.013, 60005)  # quote qty 780.065: part of t1's order
    await t1.cancel_order(resting["id"], "BTC/USDT")
    await t3.create_order("ETH/USDT", "market", "sell", 1.23456)
    eth_bid = await t3.create_order("ETH/USDT", "limit", "buy", 0.9, 2999.5)
    await t2.create_order("ETH/USDT", "limit", "sell", 0.7, 2999.5)  # t3 is the maker for 0.7 of 0.9
    await t3.cancel_order(eth_bid["id"], "ETH/USDT")
    # linear: positions opened, increased, reduced, flipped and closed between traders and the maker
    await t3.create_order("BTC/USDT:USDT", "limit", "buy", 0.3, 59995)
    await t1.create_order("BTC/USDT:USDT", "market", "sell", 0.2)  # t3 is the maker at 59995
    await t2.create_order("BTC/USDT:USDT", "market", "buy", 0.5)
    await t1.create_order("BTC/USDT:USDT", "market", "buy", 0.45)  # flips t1 from short to long
    await t2.create_order("BTC/USDT:USDT", "market", "sell", 0.5, None, {"reduceOnly": True})
    await t1.create_order("ETH/USDT:USDT", "market", "buy", 2.5)
    order = await t3.create_order("ETH/USDT:USDT", "limit", "sell", 1, 3000.5)
    await t3.edit_order(order["id"], "ETH/USDT:USDT", "limit", "sell", 1.5, 3000.5)
    await t1.create_order("ETH/USDT:USDT", "market", "buy", 1.2)  # takes 1.2 of t3's amended order


async def test_every_balance_equals_start_plus_fills_minus_fees(wall_server: Served) -> None:
    clients = {key: ccxt_client(wall_server.url, key) for key in ("maker", *TRADERS)}
    try:
        for client in clients.values():
            await client.load_markets()
        await _script(clients)
        for key, client in clients.items():
            start = MAKER_START if key == "maker" else START
            expected: dict[str, D] = defaultdict(D, start)
            linear_flow: dict[str, D] = defaultdict(D)
            spot = await _all_executions(client, "spot")
            linear = await _all_executions(client, "linear")
            assert spot or linear, f"{key} traded nothing: the script is wrong"
            for e in spot:
                base = e["symbol"].removesuffix("USDT")
                sign = 1 if e["side"] == "Buy" else -1
                expected[base] += sign * D(e["execQty"])
                expected["USDT"] -= sign * D(e["execValue"])
                expected[e["feeCurrency"]] -= D(e["execFee"])
            for e in linear:
                assert e["feeCurrency"] == "USDT"
                expected["USDT"] += D(e["execPnl"]) - D(e["execFee"])
                sign = -1 if e["side"] == "Buy" else 1
                linear_flow[e["symbol"]] += sign * D(e["execValue"])
            reply = await client.privateGetV5AccountWalletBalance({"accountType": "UNIFIED", "coin": "USDT,BTC,ETH"})
            wallet = {c["coin"]: D(c["walletBalance"]) for c in reply["result"]["list"][0]["coin"]}
            assert wallet == dict(expected), key
            # A flat linear position has realised exactly its sale proceeds minus its purchase cost.
            positions = await client.privateGetV5PositionList({"category": "linear", "settleCoin": "USDT"})
            open_symbols = {p["symbol"] for p in positions["result"]["list"]}
            for symbol, flow in linear_flow.items():
                if symbol not in open_symbols:
                    pnl = sum((D(e["execPnl"]) for e in linear if e["symbol"] == symbol), D(0))
                    assert pnl == flow, (key, symbol)
    finally:
        for client in clients.values():
            await client.close()
