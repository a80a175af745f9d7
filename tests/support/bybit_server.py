"""Builders for the Bybit-protocol server tests: a venue with seeded books, a served app, signed raw calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt.async_support as ccxt
from aiohttp import web
from pydantic import SecretStr

from tradewind.application.ports.clock import Clock
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.bybit_v5 import RateLimitSettings, WebSocketSettings
from tradewind.interfaces.sim_exchange.bybit_v5.auth import sign_request
from tradewind.interfaces.sim_exchange.faults import FaultSettings

START = {"USDT": Decimal("100000"), "BTC": Decimal("2"), "ETH": Decimal("10")}
MAKER_START = {"USDT": Decimal("10000000"), "BTC": Decimal("500"), "ETH": Decimal("5000")}
TRADERS = ("trader-1", "trader-2", "trader-3")


def secret_of(key: str) -> str:
    return f"{key}-secret"


def venue_settings() -> VenueSettings:
    accounts = [AccountSettings(api_key="maker", api_secret=SecretStr(secret_of("maker")), balances=MAKER_START)]
    accounts += [AccountSettings(api_key=k, api_secret=SecretStr(secret_of(k)), balances=START) for k in TRADERS]
    return VenueSettings(accounts=tuple(accounts))


def seed_books(venue: SimVenue) -> None:
    """The maker quotes 5 levels a side around 60 000 (BTC) and 3 000 (ETH), spot and linear."""
    for category in (Category.SPOT, Category.LINEAR):
        for symbol, mid, step, qty in (("BTCUSDT", 60_000, 10, "1"), ("ETHUSDT", 3_000, 1, "10")):
            for i in range(5):
                ask, bid = Decimal(mid + (i + 1) * step), Decimal(mid - (i + 1) * step)
                venue.place_order(
                    "maker", OrderRequest(category, symbol, Side.SELL, OrderType.LIMIT, Decimal(qty), ask)
                )
                venue.place_order("maker", OrderRequest(category, symbol, Side.BUY, OrderType.LIMIT, Decimal(qty), bid))


@dataclass
class Served:
    venue: SimVenue
    url: str
    runner: web.AppRunner


def seeded_venue(clock: Clock) -> SimVenue:
    venue = SimVenue([MatchingEngine(i) for i in default_instruments()], clock, venue_settings())
    seed_books(venue)
    return venue


async def serve(
    clock: Clock,
    rate_limits: RateLimitSettings | None = None,
    *,
    venue: SimVenue | None = None,
    port: int = 0,
    faults: FaultSettings | None = None,
    websocket: WebSocketSettings | None = None,
) -> Served:
    """The sim-exchange on loopback over a seeded venue (or ``venue``, e.g. to serve it again on its old ``port``),
    with ``faults`` in force from the start if given."""
    venue = venue or seeded_venue(clock)
    settings = SimExchangeSettings(
        port=port,
        rate_limits=rate_limits or RateLimitSettings(),
        faults=faults or FaultSettings(),
        websocket=websocket or WebSocketSettings(),
    )
    runner, port = await start_server(create_sim_exchange_app(venue, settings), "127.0.0.1", port)
    return Served(venue, f"http://127.0.0.1:{port}", runner)


def ccxt_client(url: str, key: str) -> ccxt.bybit:
    """ccxt's async bybit client pointed at the local server, as docs/sim-exchange.md explains."""
    # ccxt's own client-side throttle only slows the tests down; the server's limits still apply.
    client = ccxt.bybit({"apiKey": key, "secret": secret_of(key), "enableRateLimit": False})
    client.urls["api"] = {name: url for name in ("spot", "futures", "v2", "public", "private")}
    return client


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
    recv_window: int = 5000,
    body: str | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One signed call the way a client makes it; returns (HTTP status, JSON body, headers)."""
    ts = served.venue.clock.now_ms() if timestamp is None else timestamp
    payload = (body if body is not None else json.dumps(params)) if method == "POST" else urlencode(params)
    sign = sign_request(secret if secret is not None else secret_of(key), key, ts, payload, recv_window)
    headers = {
        "X-BAPI-API-KEY": key,
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-RECV-WINDOW": str(recv_window),
        "X-BAPI-SIGN": sign,
        "Content-Type": "application/json",
    }
    url = served.url + path
    if method == "GET":
        async with session.get(f"{url}?{payload}" if payload else url, headers=headers) as resp:
            return resp.status, await resp.json(), dict(resp.headers)
    async with session.post(url, data=payload.encode(), headers=headers) as resp:
        return resp.status, await resp.json(), dict(resp.headers)
