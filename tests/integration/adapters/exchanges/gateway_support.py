"""Builders for gateway tests: a CcxtGateway on the sim server, and a loopback HTTP proxy that can stall a reply."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from tests.support.bybit_server import secret_of
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway, open_gateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.interfaces.sim_exchange import start_server


def sim_server_settings(url: str, **overrides: object) -> ExchangeSettings:
    return ExchangeSettings.model_validate(
        {"type": "bybit", "env": "sim-server", "url": url, "timeout_s": 5, "backoff_s": 0.01, **overrides}
    )


def ccxt_gateway(url: str, key: str = "trader-1", **overrides: object) -> CcxtGateway:
    """A gateway on the sim server: Bybit by default, ``type="binance"`` for its Binance spot face."""
    credentials = Credentials(SecretStr(key), SecretStr(secret_of(key)))
    return open_gateway(
        str(overrides.get("type", "bybit")), sim_server_settings(url, **overrides), credentials, WallClock()
    )


@contextlib.asynccontextmanager
async def loaded_wire_gateway(kind: str, url: str) -> AsyncIterator[CcxtGateway]:
    """trader-1's gateway over loopback, instruments loaded, closed after: ``bybit-v5``, ``unified`` or ``binance``."""
    gateway = ccxt_gateway(url, type="binance") if kind == "binance" else ccxt_gateway(url, api=kind)
    await gateway.load_instruments()
    try:
        yield gateway
    finally:
        await gateway.close()


@dataclass
class StallingProxy:
    """Forwards every request to ``target``; the first ``stall`` POSTs to ``path`` reach the server, but
    their answers are held until ``release`` is set, so the client times out after the order was placed."""

    target: str
    path: str = "/v5/order/create"
    stall: int = 1
    forwarded: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner, port = await start_server(app, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(
            request.method, self.target + request.path_qs, data=body, headers=headers
        ) as resp:
            payload = await resp.read()
            status, content_type = resp.status, resp.content_type
        self.forwarded.append(f"{request.method} {request.path}")
        if request.method == "POST" and request.path == self.path and self.stall > 0:
            self.stall -= 1
            await self.release.wait()  # the order is on the exchange; its answer never comes in time
        return web.Response(body=payload, status=status, content_type=content_type)


def recorded_calls(gateway: CcxtGateway, name: str, *aliases: str) -> list[dict[str, Any]]:
    """The params of each call the gateway makes from now on to the ccxt client's method ``name`` (also reached by
    ``aliases``: ccxt's unified methods call the camelCase names)."""
    calls: list[dict[str, Any]] = []
    inner: Callable[[dict[str, Any]], Awaitable[Any]] = getattr(gateway.client, name)

    async def recorded(params: dict[str, Any]) -> Any:
        calls.append(params)
        return await inner(params)

    for attribute in (name, *aliases):
        setattr(gateway.client, attribute, recorded)
    return calls
