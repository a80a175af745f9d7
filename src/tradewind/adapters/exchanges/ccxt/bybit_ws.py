"""Bybit V5 public WebSocket (``orderbook.{depth}`` + ``publicTrade``) as a MarketStream.

A small native client rather than ccxt.pro: ccxt.pro keeps ``u``/``seq`` to itself and silently
re-snapshots, so neither a gap nor a resync could be checked or forced in a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any

import aiohttp

from tradewind.application.ports.market_data import BookUpdate, StreamClosed, StreamEvent, UpdateKind
from tradewind.domain.market import InstrumentRef, Level, TradeTick
from tradewind.domain.values import Category, Side

PING_INTERVAL_S = 20.0  # Bybit drops a public connection silent for longer than this


def _levels(raw: Iterable[list[str]]) -> tuple[Level, ...]:
    return tuple((Decimal(p), Decimal(q)) for p, q in raw)


class BybitPublicStream:
    """Opens one WebSocket per subscription; the stream ends (StreamClosed) when the connection does."""

    def __init__(self, url_for: Callable[[Category], str], *, contiguous_u: bool, connect_timeout_s: float = 10.0):
        self._url_for = url_for
        self._contiguous_u = contiguous_u
        self._timeout = connect_timeout_s
        self._req_ids = itertools.count(1)

    @property
    def contiguous_u(self) -> bool:
        return self._contiguous_u

    async def stream(self, ref: InstrumentRef, depth: int) -> AsyncIterator[StreamEvent]:
        book_topic, trade_topic = f"orderbook.{depth}.{ref.symbol}", f"publicTrade.{ref.symbol}"
        timeout = aiohttp.ClientTimeout(sock_connect=self._timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.ws_connect(self._url_for(ref.category)) as ws,
        ):
            req = {"op": "subscribe", "req_id": f"tw-{next(self._req_ids)}", "args": [book_topic, trade_topic]}
            await ws.send_str(json.dumps(req))
            pinger = asyncio.create_task(ping_every_interval(ws))
            try:
                async for msg in ws:
                    if msg.type is not aiohttp.WSMsgType.TEXT:
                        break
                    data = json.loads(msg.data)
                    topic = data.get("topic")
                    if topic == book_topic:
                        yield _book(data)
                    elif topic == trade_topic:
                        for trade in _trades(ref, data):
                            yield trade
                    elif data.get("op") == "subscribe" and not data.get("success", True):
                        raise ValueError(f"subscribe refused: {data.get('ret_msg')}")
            finally:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger
        raise StreamClosed(f"{book_topic}: connection closed")


async def ping_every_interval(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Send Bybit's application-level ping every PING_INTERVAL_S until the socket closes."""
    while not ws.closed:
        await asyncio.sleep(PING_INTERVAL_S)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str('{"op":"ping"}')


def _book(message: dict[str, Any]) -> BookUpdate:
    data = message["data"]
    kind = UpdateKind.SNAPSHOT if message.get("type") == "snapshot" else UpdateKind.DELTA
    ts_ns = int(message.get("cts") or message.get("ts") or 0) * 1_000_000
    return BookUpdate(kind, _levels(data["b"]), _levels(data["a"]), int(data["u"]), int(data.get("seq", 0)), ts_ns)


def _trades(ref: InstrumentRef, message: dict[str, Any]) -> list[TradeTick]:
    return [
        TradeTick(ref, str(t["i"]), Decimal(t["p"]), Decimal(t["v"]), Side(t["S"]), int(t["T"]) * 1_000_000)
        for t in message["data"]
    ]
