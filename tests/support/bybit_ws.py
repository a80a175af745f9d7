"""WebSocket helpers for the Bybit-protocol server tests: raw clients, a client-side book, ccxt.pro on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro

from tests.support.bybit_server import Served, secret_of, seeded_venue
from tradewind.adapters.exchanges.ccxt.client import sim_server_urls
from tradewind.application.ports.clock import Clock
from tradewind.domain.instruments import Instrument
from tradewind.domain.matching.events import L2Snapshot
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.bybit_v5 import WEBSOCKET, RateLimitSettings, WebSocketServer
from tradewind.interfaces.sim_exchange.bybit_v5.ws_private import auth_signature
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings

TIMEOUT = 10.0  # give-up bound of every wait below; tests never wait for time to pass


async def serve_ws(clock: Clock, websocket: WebSocketSettings | None = None, *, limits: bool = True) -> Served:
    """The seeded server with these WebSocket settings; ``limits=False`` turns the REST rate limits off."""
    venue = seeded_venue(clock)
    rate_limits = RateLimitSettings(enabled=limits)
    settings = SimExchangeSettings(port=0, rate_limits=rate_limits, websocket=websocket or WebSocketSettings())
    runner, port = await start_server(create_sim_exchange_app(venue, settings), "127.0.0.1", 0)
    return Served(venue, f"http://127.0.0.1:{port}", runner)


def ws_server(served: Served) -> WebSocketServer:
    return served.runner.app[WEBSOCKET]


def ws_url(served: Served, path: str) -> str:
    return served.url.replace("http://", "ws://") + path


class Raw:
    """A bare WebSocket client speaking JSON."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, **message: Any) -> None:
        await self.ws.send_str(json.dumps(message))

    async def recv(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=TIMEOUT)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        result: dict[str, Any] = json.loads(msg.data)
        return result

    async def until(self, match: Callable[[dict[str, Any]], bool]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read until a message matches; return it and everything read before it."""
        before: list[dict[str, Any]] = []
        while True:
            message = await self.recv()
            if match(message):
                return message, before
            before.append(message)

    async def auth(self, key: str, expires: int | str, secret: str | None = None) -> dict[str, Any]:
        sign = auth_signature(secret if secret is not None else secret_of(key), expires)
        await self.send(op="auth", args=[key, expires, sign])
        reply, _ = await self.until(lambda m: m.get("op") == "auth")
        return reply


@asynccontextmanager
async def raw(session: aiohttp.ClientSession, served: Served, path: str, **kw: Any) -> AsyncIterator[Raw]:
    async with session.ws_connect(ws_url(served, path), **kw) as ws:
        yield Raw(ws)


def topic_is(topic: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("topic") == topic


class LocalBook:
    """A client-side book built the way Bybit's docs say: a snapshot resets it, deltas insert / replace / delete."""

    def __init__(self, inst: Instrument) -> None:
        self.inst = inst
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.u = self.seq = -1

    def take(self, message: dict[str, Any]) -> None:
        data = message["data"]
        if message["type"] == "snapshot":
            self.bids, self.asks = {}, {}
        else:
            assert data["seq"] > self.seq and data["u"] > self.u, "deltas must move forward"
        for book, levels in ((self.bids, data["b"]), (self.asks, data["a"])):
            for price, qty in levels:
                if Decimal(qty) == 0:
                    del book[Decimal(price)]  # a KeyError here is a delete of a level the client never had
                else:
                    book[Decimal(price)] = Decimal(qty)
        self.u, self.seq = data["u"], data["seq"]

    def as_snapshot(self) -> L2Snapshot:
        inst = self.inst
        bids = sorted(((inst.price_to_ticks(p), inst.qty_to_lots(q)) for p, q in self.bids.items()), reverse=True)
        asks = sorted((inst.price_to_ticks(p), inst.qty_to_lots(q)) for p, q in self.asks.items())
        return L2Snapshot(self.seq, bids, asks)


def ccxt_pro_client(served: Served, key: str, secret: str | None = None) -> ccxtpro.bybit:
    """ccxt.pro's bybit client with every REST and WebSocket URL pointed at the local server."""
    client = ccxtpro.bybit(
        {"apiKey": key, "secret": secret if secret is not None else secret_of(key), "enableRateLimit": False}
    )
    client.urls["api"] = sim_server_urls(served.url)
    return client
