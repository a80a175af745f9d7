"""Builders for the Binance-face tests: the seeded venue of the Bybit tests behind both protocols, clients, calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from tests.support.bybit_server import Served, secret_of, seeded_venue
from tradewind.adapters.exchanges.ccxt.sim_urls import binance_sim_urls
from tradewind.application.ports.clock import Clock
from tradewind.application.venue import SimVenue
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.binance_spot.app import BINANCE, BinanceSpot
from tradewind.interfaces.sim_exchange.binance_spot.auth import sign_query
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings

TIMEOUT = 10.0  # give-up bound of every wait; tests never wait for time to pass
FAST = BinanceSpotSettings(depth_interval_ms=20, fast_depth_interval_ms=5, ticker_interval_ms=20)
CCXT_OPTIONS = {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}}
Reply = tuple[int, Any, dict[str, str]]


async def serve_binance(clock: Clock, settings: BinanceSpotSettings = FAST) -> Served:
    """The seeded venue (a maker quoting 5 levels a side) behind both protocols on one free port."""
    venue = seeded_venue(clock)
    app = create_sim_exchange_app(venue, SimExchangeSettings(port=0, binance=settings))
    runner, port = await start_server(app, "127.0.0.1", 0)
    return Served(venue, f"http://127.0.0.1:{port}", runner)


def face(served: Served) -> BinanceSpot:
    return served.runner.app[BINANCE]


def ccxt_binance(served: Served, key: str = "trader-1", *, number: type = Decimal) -> ccxt_async.binance:
    """ccxt's async binance client aimed at the server, configured as the brief of the generic adapter says."""
    client = ccxt_async.binance(
        {"apiKey": key, "secret": secret_of(key), "enableRateLimit": False, "options": dict(CCXT_OPTIONS)}
    )
    client.urls["api"] = binance_sim_urls(served.url)
    client.number = number
    return client


def ccxt_pro_binance(served: Served, key: str = "trader-1") -> ccxt_pro.binance:
    client = ccxt_pro.binance(
        {"apiKey": key, "secret": secret_of(key), "enableRateLimit": False, "options": dict(CCXT_OPTIONS)}
    )
    client.urls["api"] = binance_sim_urls(served.url)
    return client


async def public(
    session: aiohttp.ClientSession, served: Served, path: str, params: dict[str, Any] | None = None
) -> Reply:
    query = f"?{urlencode(params)}" if params else ""
    async with session.get(f"{served.url}{path}{query}") as resp:
        return resp.status, await resp.json(), dict(resp.headers)


async def signed(
    session: aiohttp.ClientSession,
    served: Served,
    method: str,
    path: str,
    params: dict[str, Any],
    *,
    key: str = "trader-1",
    secret: str | None = None,
    timestamp: int | None = None,
    in_body: bool | None = None,
) -> Reply:
    """One signed call as a client makes it: params (plus timestamp) and signature in the query, or the POST body."""
    ts = served.venue.clock.now_ms() if timestamp is None else timestamp
    query = sign_query(secret if secret is not None else secret_of(key), urlencode({**params, "timestamp": ts}))
    body_form = method == "POST" if in_body is None else in_body
    url = f"{served.url}{path}" if body_form else f"{served.url}{path}?{query}"
    headers = {"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"}
    async with session.request(method, url, data=query.encode() if body_form else None, headers=headers) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


@dataclass(frozen=True)
class VenueState:
    """What a refused request must leave untouched: every account's balances, locks and open orders."""

    wallets: dict[str, tuple[tuple[str, Decimal, Decimal], ...]]
    open_orders: dict[str, tuple[str, ...]]
    book_seq: dict[str, int]


def state_of(venue: SimVenue) -> VenueState:
    wallets = {
        a.api_key: tuple((c.coin, c.balance, c.locked) for c in venue.wallet_view(a.api_key).coins)
        for a in venue.accounts()
    }
    orders = {a.api_key: tuple(sorted(a.open_orders)) for a in venue.accounts()}
    seqs = {i.symbol: venue.engine(Category.SPOT, i.symbol).seq for i in venue.instruments(Category.SPOT)}
    return VenueState(wallets, orders, seqs)


class StreamClient:
    """A bare Binance stream client: sends requests, reads JSON events."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 0

    async def request(self, method: str, params: list[Any] | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"method": method, "id": self._next_id}
        if params is not None:
            message["params"] = params
        await self.ws.send_str(json.dumps(message))
        return self._next_id

    async def recv(self) -> Any:
        msg = await self.ws.receive(timeout=TIMEOUT)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        return json.loads(msg.data)

    async def until(self, match: Callable[[Any], bool]) -> tuple[Any, list[Any]]:
        """Read until a message matches; return it and everything read before it."""
        before: list[Any] = []
        while True:
            message = await self.recv()
            if match(message):
                return message, before
            before.append(message)

    async def reply_to(self, request_id: int) -> tuple[Any, list[Any]]:
        return await self.until(lambda m: isinstance(m, dict) and m.get("id") == request_id and "e" not in m)

    async def barrier(self) -> list[Any]:
        """Every event queued for this connection so far (a request's reply is queued after them)."""
        _, events = await self.reply_to(await self.request("LIST_SUBSCRIPTIONS"))
        return events


@asynccontextmanager
async def stream_client(
    session: aiohttp.ClientSession, served: Served, path: str = "/ws"
) -> AsyncIterator[StreamClient]:
    async with session.ws_connect(served.url.replace("http://", "ws://") + path) as ws:
        yield StreamClient(ws)


Level = tuple[Decimal, Decimal]


class LocalDepth:
    """A client-side book kept as Binance's spot docs (and ccxt.pro) say: a REST snapshot, then the diff events."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.nonce: int = snapshot["lastUpdateId"]
        self.bids = {Decimal(p): Decimal(q) for p, q in snapshot["bids"]}
        self.asks = {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}
        self.applied = 0

    def apply(self, event: dict[str, Any]) -> None:
        """Drop an event already in the snapshot; the first one kept must straddle it, each next one follow on."""
        first, last = event["U"], event["u"]
        if last <= self.nonce:
            return
        if self.applied == 0:
            assert first - 1 <= self.nonce <= last - 1, (first, last, self.nonce)
        else:
            assert first == self.nonce + 1, (first, self.nonce)
        for book, levels in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, qty in levels:
                if Decimal(qty) == 0:
                    book.pop(Decimal(price), None)  # Binance: removing a level the client never had is normal
                else:
                    book[Decimal(price)] = Decimal(qty)
        self.nonce = last
        self.applied += 1

    def levels(self) -> tuple[list[Level], list[Level]]:
        return sorted(self.bids.items(), reverse=True), sorted(self.asks.items())


def rest_levels(snapshot: dict[str, Any]) -> tuple[list[Level], list[Level]]:
    return (
        [(Decimal(p), Decimal(q)) for p, q in snapshot["bids"]],
        [(Decimal(p), Decimal(q)) for p, q in snapshot["asks"]],
    )
