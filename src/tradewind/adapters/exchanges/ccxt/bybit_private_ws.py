"""Bybit V5 private WebSocket (``/v5/private``): our own ``order`` and ``execution`` pushes as OrderUpdateEvents.

A small native client beside the public one (``bybit_ws.py``): ``auth`` with ``expires`` and an HMAC signature as
Bybit documents, one subscription to both topics, rows mapped by the REST mappers of ``bybit.py`` (exact strings).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import structlog

from tradewind.adapters.exchanges.ccxt import bybit
from tradewind.adapters.exchanges.ccxt.bybit_ws import PING_INTERVAL_S, ping_every_interval
from tradewind.adapters.exchanges.ccxt.client import sim_server_urls
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.ports.exchange import OrderStreamClosed, OrderStreamRefused, OrderUpdateEvent
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)

TOPICS = ("order", "execution")
AUTH_WINDOW_MS = 10_000  # how far ahead ``expires`` lies (ccxt.pro's choice; it absorbs a little clock skew)
SILENCE_LIMIT_S = 3 * PING_INTERVAL_S  # every ping is answered: this long without a message is a dead connection
_HOSTS = {"testnet": "stream-testnet.bybit.com", "demo": "stream-demo.bybit.com", "mainnet": "stream.bybit.com"}
_CATEGORIES = {c.value: c for c in Category}
_FILL_EXEC_TYPES = ("Trade",)  # funding, settlement, ADL and bust rows are not executions of an order we sent


def private_ws_url(settings: ExchangeSettings) -> str:
    """Bybit's private V5 WebSocket endpoint for the entry's environment."""
    if settings.env == "sim-server":
        assert settings.url is not None
        return sim_server_urls(settings.url)["ws"]["private"]["contract"]  # type: ignore[no-any-return]
    return f"wss://{_HOSTS[settings.env]}/v5/private"


def auth_request(api_key: str, secret: str, expires_ms: int) -> dict[str, Any]:
    """The ``auth`` op: ``[apiKey, expires, hex(HMAC_SHA256(secret, "GET/realtime" + expires))]``."""
    sign = hmac.new(secret.encode(), f"GET/realtime{expires_ms}".encode(), hashlib.sha256).hexdigest()
    return {"op": "auth", "args": [api_key, expires_ms, sign]}


def events_of(message: Mapping[str, Any], exchange: str) -> list[OrderUpdateEvent]:
    """The order updates of one ``order`` / ``execution`` push; a row that cannot be read is logged and skipped."""
    topic = message.get("topic")
    if topic not in TOPICS:
        return []
    rows = message.get("data")
    if not isinstance(rows, list):
        log.warning("bybit_private_ws.message_skipped", exchange=exchange, topic=topic, error="data is not a list")
        return []
    events = []
    for row in rows:
        try:
            if not isinstance(row, Mapping):
                raise TypeError(f"row is a {type(row).__name__}, not an object")
            raw_category = row["category"]
            category = _CATEGORIES.get(raw_category)
            if category is None:  # inverse, option: categories this platform does not trade
                log.debug("bybit_private_ws.category_skipped", exchange=exchange, category=raw_category)
                continue
            if topic == "order":
                events.append(OrderUpdateEvent(category, bybit.order_result(row)))
            elif row.get("execType", "Trade") in _FILL_EXEC_TYPES:
                events.append(OrderUpdateEvent(category, bybit.fill(row)))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            log.warning("bybit_private_ws.row_skipped", exchange=exchange, topic=topic, error=repr(exc))
    return events


class BybitPrivateStream:
    """Each ``updates()`` opens one connection: auth, subscribe ``order`` + ``execution``, pushes until it breaks."""

    def __init__(self, name: str, url: str, credentials: Credentials | None, *, timeout_s: float = 10.0) -> None:
        self._name = name
        self._url = url
        self._credentials = credentials
        self._timeout_s = timeout_s

    async def updates(self) -> AsyncIterator[OrderUpdateEvent]:
        """Our order states and fills until cancelled; OrderStreamClosed when the connection breaks or goes silent."""
        if self._credentials is None:
            raise OrderStreamRefused(f"{self._name}: the private stream needs API credentials")
        timeout = aiohttp.ClientTimeout(sock_connect=self._timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.ws_connect(self._url) as ws,
            ):
                await self._login(ws, self._credentials)
                pinger = asyncio.create_task(ping_every_interval(ws))
                try:
                    while True:
                        msg = await ws.receive(timeout=SILENCE_LIMIT_S)
                        if msg.type is not aiohttp.WSMsgType.TEXT:
                            break
                        for event in self._read(msg.data):
                            yield event
                finally:
                    pinger.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pinger
        except OrderStreamClosed:
            raise
        except TimeoutError as exc:
            raise OrderStreamClosed(f"{self._name}: private stream silent for {SILENCE_LIMIT_S:.0f} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise OrderStreamClosed(f"{self._name}: private stream: {type(exc).__name__}: {exc}") from exc
        raise OrderStreamClosed(f"{self._name}: private stream closed by the exchange")

    async def _login(self, ws: aiohttp.ClientWebSocketResponse, credentials: Credentials) -> None:
        key = credentials.api_key.get_secret_value()
        # Wall time, not the Clock port: the exchange checks ``expires`` against its own clock (ccxt signs REST so).
        expires = time.time_ns() // 1_000_000 + AUTH_WINDOW_MS
        await ws.send_str(json.dumps(auth_request(key, credentials.api_secret.get_secret_value(), expires)))
        reply = await self._reply(ws, "auth")
        if not reply.get("success"):
            reason = str(reply.get("ret_msg", ""))
            if key:
                reason = reason.replace(key, "<api key>")  # a venue may echo the key; it stays out of logs too
            raise OrderStreamRefused(f"{self._name}: private stream auth refused: {reason}")
        await ws.send_str(json.dumps({"op": "subscribe", "req_id": "tradewind-orders", "args": list(TOPICS)}))
        reply = await self._reply(ws, "subscribe")
        if not reply.get("success"):
            raise OrderStreamRefused(f"{self._name}: private stream subscribe refused: {reply.get('ret_msg')}")
        log.info("bybit_private_ws.subscribed", exchange=self._name, topics=TOPICS)

    async def _reply(self, ws: aiohttp.ClientWebSocketResponse, op: str) -> dict[str, Any]:
        """The answer to ``op``; anything else that comes first is skipped."""
        try:
            async with asyncio.timeout(self._timeout_s):
                while True:
                    msg = await ws.receive()
                    if msg.type is not aiohttp.WSMsgType.TEXT:
                        raise OrderStreamClosed(f"{self._name}: private stream closed before the {op} reply")
                    with contextlib.suppress(ValueError):
                        data = json.loads(msg.data)
                        if isinstance(data, dict) and data.get("op") == op:
                            return data
        except TimeoutError as exc:
            raise OrderStreamClosed(f"{self._name}: no {op} reply within {self._timeout_s:g} s") from exc

    def _read(self, text: str) -> list[OrderUpdateEvent]:
        try:
            message = json.loads(text)
        except ValueError as exc:
            log.warning("bybit_private_ws.message_skipped", exchange=self._name, error=repr(exc))
            return []
        return events_of(message, self._name) if isinstance(message, dict) else []
