"""CcxtProOrderStream: our orders and trades through ccxt.pro's ``watch_orders`` / ``watch_my_trades``, any exchange.

The ccxt.pro client keeps numbers as the exchange's decimal strings (``number = str``): ccxt parses orders and trades
through ``safe_order`` / ``safe_trade``, which keep them, and ``unified.py`` makes them Decimals (refusing a float).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import ccxt.async_support as ccxt_async
import structlog

from tradewind.adapters.exchanges.ccxt import unified
from tradewind.adapters.exchanges.ccxt.capabilities import capabilities_for
from tradewind.adapters.exchanges.ccxt.client import build_client
from tradewind.adapters.exchanges.ccxt.merge import merged
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.ports.exchange import (
    OrderStreamClosed,
    OrderStreamRefused,
    OrderStreamUnsupported,
    OrderUpdateEvent,
)
from tradewind.domain.orders import ExecutionFill, OrderResult

log = structlog.get_logger(__name__)

# ccxt errors that another connection would meet again: the stream stops instead of reconnecting.
_REFUSALS = (ccxt_async.AuthenticationError, ccxt_async.NotSupported)  # incl. PermissionDenied, AccountNotEnabled
_Queue = asyncio.Queue[list[OrderUpdateEvent] | BaseException]


class CcxtProOrderStream:
    """One ccxt.pro client per gateway, opened on the first ``updates()`` and kept across reconnects."""

    def __init__(
        self,
        name: str,
        settings: ExchangeSettings,
        credentials: Credentials | None,
        *,
        market_of: Callable[[str], unified.Market | None],
        client_id_of: Callable[[str], str],
        remember: Callable[[str, str], None],
    ) -> None:
        self._name = name
        self._settings = settings
        self._credentials = credentials
        self._market_of = market_of  # ccxt symbol -> the gateway's loaded market
        self._client_id_of = client_id_of  # exchange order id -> our client id ("" when unknown)
        self._remember = remember
        self._client: Any = None

    async def updates(self) -> AsyncIterator[OrderUpdateEvent]:
        """Our order states and fills until cancelled; OrderStreamClosed on a network error (ccxt.pro reconnects
        on the next call), OrderStreamUnsupported when the exchange can push neither."""
        if not capabilities_for(self._settings).pushes_orders:
            raise OrderStreamUnsupported(
                f"{self._name}: {self._settings.type} at {self._settings.url} pushes no orders"
            )
        client = self._open()
        watchers = [
            watch
            for feature, watch in (("watchOrders", self._orders), ("watchMyTrades", self._trades))
            if client.has.get(feature)
        ]
        if not watchers:
            raise OrderStreamUnsupported(
                f"{self._name}: ccxt.pro's {self._settings.type} has neither watchOrders nor watchMyTrades"
            )
        if self._credentials is None:
            raise OrderStreamRefused(f"{self._name}: the order stream needs API credentials")
        producers = [(f"{watch.__name__} {self._name}", functools.partial(watch, client)) for watch in watchers]
        async for batch in merged(producers):
            for event in batch:
                yield event

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    def _open(self) -> Any:
        if self._client is None:
            try:
                client = build_client(self._settings, self._credentials, pro=True)
            except ValueError as exc:  # no ccxt.pro class for this id (or no testnet in it)
                raise OrderStreamUnsupported(
                    f"{self._name}: no ccxt.pro client for {self._settings.type}: {exc}"
                ) from exc
            client.number = str  # keep the exchange's decimal strings (never floats) in parsed orders and trades
            self._client = client
        return self._client

    async def _orders(self, client: Any, queue: _Queue) -> None:
        await self._pump(client.watch_orders, self._order_events, queue)

    async def _trades(self, client: Any, queue: _Queue) -> None:
        await self._pump(client.watch_my_trades, self._fill_events, queue)

    async def _pump(
        self,
        watch: Callable[[], Awaitable[list[dict[str, Any]]]],
        events: Callable[[Iterable[dict[str, Any]]], list[OrderUpdateEvent]],
        queue: _Queue,
    ) -> None:
        try:
            while True:
                await queue.put(events(await self._translate(watch())))
        except Exception as exc:  # handed to the consumer, which reconnects or stops
            await queue.put(exc)

    def _order_events(self, rows: Iterable[dict[str, Any]]) -> list[OrderUpdateEvent]:
        def order(row: dict[str, Any], market: unified.Market) -> OrderResult:
            result = unified.order_result(row, market)
            if result.exchange_order_id and result.client_order_id:
                self._remember(result.exchange_order_id, result.client_order_id)  # names later fills of it
            return result

        return self._events(rows, order, "order")

    def _fill_events(self, rows: Iterable[dict[str, Any]]) -> list[OrderUpdateEvent]:
        def fill(row: dict[str, Any], market: unified.Market) -> ExecutionFill:
            return unified.fill(row, market, self._client_id_of(str(row.get("order") or "")))

        return self._events(rows, fill, "trade")

    def _events(
        self,
        rows: Iterable[dict[str, Any]],
        parse: Callable[[dict[str, Any], unified.Market], OrderResult | ExecutionFill],
        what: str,
    ) -> list[OrderUpdateEvent]:
        """Rows of markets this gateway loaded, mapped; a row that will not map is logged and skipped."""
        out = []
        for row in rows:
            market = self._market(row)
            if market is None:
                continue
            try:
                update = parse(row, market)
            except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                log.warning(f"ccxt_pro_orders.{what}_skipped", exchange=self._name, error=repr(exc))
                continue
            out.append(OrderUpdateEvent(market.instrument.category, update))
        return out

    def _market(self, row: dict[str, Any]) -> unified.Market | None:
        market = self._market_of(str(row.get("symbol")))
        if market is None:  # a market this gateway did not load (another category, or an unsupported kind)
            log.debug("ccxt_pro_orders.market_skipped", exchange=self._name, symbol=row.get("symbol"))
        return market

    async def _translate(self, call: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        try:
            return await call
        except ccxt_async.NetworkError as exc:
            raise OrderStreamClosed(f"{self._name}: order stream: {self._redacted(exc)}") from exc
        except _REFUSALS as exc:
            raise OrderStreamRefused(f"{self._name}: order stream refused: {self._redacted(exc)}") from exc
        except ccxt_async.BaseError as exc:  # anything else may pass: try again on a new connection
            raise OrderStreamClosed(f"{self._name}: order stream: {self._redacted(exc)}") from exc

    def _redacted(self, exc: Exception) -> str:
        """The error as text, without the API key a venue's message may echo (the secret is never sent)."""
        text = f"{type(exc).__name__}: {exc}"
        key = self._credentials.api_key.get_secret_value() if self._credentials is not None else ""
        return text.replace(key, "<api key>") if key else text
