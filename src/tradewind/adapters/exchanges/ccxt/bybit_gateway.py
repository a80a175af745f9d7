"""BybitV5Gateway: Bybit through ccxt's raw V5 endpoints, so every price, size and fee stays an exact string."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import structlog

from tradewind.adapters.exchanges.ccxt import bybit
from tradewind.adapters.exchanges.ccxt.bybit_private_ws import BybitPrivateStream, private_ws_url
from tradewind.adapters.exchanges.ccxt.capabilities import WEEK_MS
from tradewind.adapters.exchanges.ccxt.gateway import CLOCK_SKEW_MS, CcxtGateway, time_windows
from tradewind.application.ports.exchange import (
    ExchangeError,
    OrderNotFound,
    OrderRejected,
    OrderUpdateEvent,
    ProtectionUnsupported,
    UnknownInstrument,
)
from tradewind.domain.candles import Candle, bybit_interval, interval_ms
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import InstrumentRef
from tradewind.domain.orders import (
    Balance,
    ExecutionFill,
    OrderIntent,
    OrderResult,
    PositionProtection,
    PositionSnapshot,
    ProtectionOrders,
    Ticker,
)
from tradewind.domain.spread.orders import FundingPayment
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)
KLINE_PAGE = 1000  # the most rows /v5/market/kline returns at once
TRANSACTION_PAGE = 50  # the most rows /v5/account/transaction-log returns at once
# WEEK_MS: the widest window /v5/account/transaction-log, /v5/execution/list and /v5/order/history take (endTime -
# startTime <= 7 days); the execution list and the order history answer the 7 days from a lone startTime, the 7 days
# before now without either; the transaction log only 24 hours so (it is always sent both times).
HISTORY_MS = 730 * 24 * 3_600_000  # the lists go back two years: an older ``since`` starts there
ORDER_PAGE = 50  # the most rows /v5/order/realtime returns at once
POSITION_PAGE = 200  # the most rows /v5/position/list returns at once
INSTRUMENT_PAGE = 1000  # the most rows /v5/market/instruments-info returns at once (linear pages; spot is one answer)
FILL_PAGE = 100  # the most rows /v5/execution/list returns at once
PARTIAL_LOOKS = 5  # how often the new partial TP / SL orders are looked for after trading-stop answered
PARTIAL_LOOK_S = 0.2
Bounds = tuple[int | None, int | None]  # a list read's startTime and endTime (ms), each sent where not None
_PARTIAL_KINDS = {"PartialTakeProfit": "take_profit", "PartialStopLoss": "stop_loss"}


class BybitV5Gateway(CcxtGateway):
    """One Bybit unified account (sim-server, testnet, demo or mainnet); orders carry ``orderLinkId``."""

    def _setup(self) -> None:
        settings = self.settings
        self._private = BybitPrivateStream(
            self._name, private_ws_url(settings), self._credentials, timeout_s=settings.timeout_s
        )
        # trading-stop answers no ids: one sized protection at a time per symbol, so the new orders are ours
        self._protect_locks: dict[str, asyncio.Lock] = {}

    def order_updates(self) -> AsyncIterator[OrderUpdateEvent]:
        """Our orders' states and fills pushed over Bybit's private WebSocket (``order`` + ``execution``)."""
        return self._private.updates()

    async def _load_instruments(self) -> Sequence[Instrument]:
        loaded: list[Instrument] = []
        for category in self.capabilities.categories:
            params = {"category": category.value, "limit": INSTRUMENT_PAGE}
            async for response in self._v5_pages(
                "instruments", self._client.public_get_v5_market_instruments_info, params
            ):
                loaded.extend(
                    bybit.instrument(category, row)
                    for row in bybit.result_list(response)
                    if row.get("status", "Trading") == "Trading"
                )
        return loaded

    async def _send_order(self, intent: OrderIntent) -> None:
        await self._call("create order", self._client.private_post_v5_order_create, bybit.create_request(intent))

    async def _send_cancel(self, category: Category, symbol: str, client_order_id: str) -> None:
        params = {"category": category.value, "symbol": symbol, "orderLinkId": client_order_id}
        await self._call("cancel order", self._client.private_post_v5_order_cancel, params)

    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None:
        """``/v5/order/realtime`` by ``orderLinkId`` (every open order, and the recent closed ones), then
        ``/v5/order/history``, which answers 7 days even by ``orderLinkId``: from ``since_ns`` (less the clock skew:
        the venue stamps the order by its own clock) window by window up to now, stopping at the window that has it;
        without ``since_ns``, Bybit's last 7 days."""
        params = {"category": category.value, "symbol": symbol, "orderLinkId": client_order_id}
        rows = bybit.result_list(await self._call("fetch order", self._client.private_get_v5_order_realtime, params))
        if rows:
            return bybit.order_result(rows[0])
        windows: Sequence[Bounds] = [(None, None)]  # neither time: Bybit's last 7 days
        if since_ns is not None:
            windows = self._windows(since_ns - CLOCK_SKEW_MS * 1_000_000)
        method = self._client.private_get_v5_order_history
        for window in windows:  # oldest first: an order is most often found in the window of its own creation time
            found = bybit.result_list(await self._call("fetch order", method, {**params, **_bounds(window)}))
            if found:
                return bybit.order_result(found[0])
        return None

    def _windows(self, since_ns: int) -> Sequence[Bounds]:
        """The windows of a 7-day list from ``since_ns`` (no older than its two years) to now, the last one open."""
        now = self._clock.now_ms()
        since = max(since_ns // 1_000_000, now - HISTORY_MS)
        return time_windows(since, now, WEEK_MS, open_skew_ms=CLOCK_SKEW_MS)

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]:
        """Every page of ``/v5/order/realtime``: resting orders and untriggered conditional ones (partial TP / SL)."""
        params: dict[str, Any] = {"category": category.value}
        params.update({"symbol": symbol} if symbol else {"settleCoin": "USDT"} if category is Category.LINEAR else {})
        return [bybit.order_result(r) for r in await self._open_rows(params)]

    async def _open_rows(self, params: dict[str, Any]) -> list[bybit.Row]:
        """The rows of every page of ``/v5/order/realtime`` for ``params``, by order id (a page shifted by an order
        placed or ended meanwhile repeats or skips a row: the next look sees it)."""
        rows: dict[str, bybit.Row] = {}
        method = self._client.private_get_v5_order_realtime
        async for response in self._v5_pages("open orders", method, {**params, "limit": ORDER_PAGE}):
            rows.update((str(r.get("orderId")), r) for r in bybit.result_list(response))
        return list(rows.values())

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        """``/v5/execution/list`` from ``since_ns`` to now, window by window of under 7 days (the last one sent with
        ``startTime`` alone, so the exchange's clock ends it), each paged to its end; without ``since_ns``, the last
        7 days (Bybit's default), with ``client_order_id`` too."""
        params: dict[str, Any] = {"category": category.value, "symbol": symbol, "limit": FILL_PAGE}
        if client_order_id:
            params["orderLinkId"] = client_order_id
        windows: Sequence[Bounds] = [(None, None)]  # neither time: Bybit's last 7 days
        if since_ns is not None:
            windows = self._windows(since_ns)
        fills: dict[str, ExecutionFill] = {}  # by execution id: a page shifted by a new fill repeats a row
        method = self._client.private_get_v5_execution_list
        async for row in self._window_rows("fills", method, params, windows):
            fill = bybit.fill(row)
            fills[fill.trade_id] = fill
        return sorted(fills.values(), key=lambda f: (f.ts_ns, f.trade_id))

    async def fetch_funding(self, since_ns: int, symbol: str | None = None) -> list[FundingPayment]:
        """SETTLEMENT rows of ``/v5/account/transaction-log``, window by window of under 7 days up to now, each
        window paged through ``nextPageCursor`` to its end."""
        found: dict[str, FundingPayment] = {}  # by id: a page shifted by a new settlement repeats a row
        now = self._clock.now_ms()
        windows = time_windows(max(since_ns // 1_000_000, now - HISTORY_MS), now, WEEK_MS)
        params: dict[str, Any] = {
            "accountType": "UNIFIED", "category": Category.LINEAR.value, "type": "SETTLEMENT",
            "limit": TRANSACTION_PAGE,
        }  # fmt: skip
        method = self._client.private_get_v5_account_transaction_log
        async for row in self._window_rows("funding", method, params, windows):
            if symbol is None or row.get("symbol") == symbol:
                payment = bybit.funding(self._name, row)
                found[payment.funding_id] = payment
        return sorted(found.values(), key=lambda p: (p.ts_ns, p.funding_id))

    async def _window_rows(
        self,
        what: str,
        method: Callable[[dict[str, Any]], Awaitable[Any]],
        params: dict[str, Any],
        windows: Sequence[Bounds],
    ) -> AsyncIterator[bybit.Row]:
        """Every row of a V5 list read window by window (``startTime`` / ``endTime``, each sent where not None), each
        window paged through ``nextPageCursor`` to its end."""
        for window in windows:
            async for response in self._v5_pages(what, method, {**params, **_bounds(window)}):
                for row in bybit.result_list(response):
                    yield row

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        self.instrument(category, symbol)
        params = {"category": category.value, "symbol": symbol}
        response = await self._call("ticker", self._client.public_get_v5_market_tickers, params)
        rows = bybit.result_list(response)
        if not rows:
            raise UnknownInstrument(f"{self._name}: no ticker for {category.value} {symbol}")
        return bybit.ticker(rows[0], int(response.get("time") or self._clock.now_ms()))

    async def fetch_candles(
        self,
        category: Category,
        symbol: str,
        interval: int,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 200,
    ) -> list[Candle]:
        """``/v5/market/kline`` pages, newest first, each ending before the oldest row of the one before."""
        ref = InstrumentRef(self._name, category, symbol)
        interval_ms(interval)  # validates the interval before any request
        end = self._clock.now_ms() if end_ms is None else end_ms
        found: dict[int, Candle] = {}
        while len(found) < limit and (start_ms is None or end >= start_ms):
            params: dict[str, Any] = {
                "category": category.value, "symbol": symbol, "interval": bybit_interval(interval),
                "end": end, "limit": min(KLINE_PAGE, limit - len(found)),
            }  # fmt: skip
            if start_ms is not None:
                params["start"] = start_ms
            rows = bybit.result_list(await self._call("klines", self._client.public_get_v5_market_kline, params))
            page = [bybit.candle(ref, interval, row) for row in rows]
            fresh = [c for c in page if c.start_ms not in found and c.start_ms <= end]
            if not fresh:
                break
            found.update((c.start_ms, c) for c in fresh)
            end = min(c.start_ms for c in fresh) - 1  # ``end`` takes bars starting at or before it
        newest = sorted(found.values(), key=lambda c: c.start_ms)[-limit:]
        return [c for c in newest if start_ms is None or c.start_ms >= start_ms]

    async def fetch_balances(self) -> dict[str, Balance]:
        response = await self._call(
            "balances", self._client.private_get_v5_account_wallet_balance, {"accountType": "UNIFIED"}
        )
        accounts = bybit.result_list(response)
        return bybit.balances(accounts[0]) if accounts else {}

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        if category is not Category.LINEAR:
            return []
        params = {"category": category.value, "settleCoin": "USDT", "limit": POSITION_PAGE}
        found: dict[str, PositionSnapshot] = {}  # by symbol (one-way mode): a shifted page repeats a row
        async for response in self._v5_pages("positions", self._client.private_get_v5_position_list, params):
            found.update(
                (str(r["symbol"]), bybit.position(r)) for r in bybit.result_list(response) if bybit.dec(r, "size")
            )
        return list(found.values())

    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult:
        """``/v5/order/amend`` by ``orderLinkId``; qty and price on the instrument's grid."""
        inst = self.instrument(category, symbol)
        params: dict[str, Any] = {"category": category.value, "symbol": symbol, "orderLinkId": client_order_id}
        if qty is not None:
            params["qty"] = format(inst.floor_qty(qty), "f")
        if price is not None:
            params["price"] = format(inst.round_price(price), "f")
        try:
            await self._call("amend order", self._client.private_post_v5_order_amend, params)
        except (OrderRejected, OrderNotFound) as exc:
            found = await self.fetch_order(category, symbol, client_order_id)
            if found is None or found.is_final:
                raise OrderNotFound(f"{self._name}: cannot amend {client_order_id}: {exc}") from exc
            raise
        found = await self.fetch_order(category, symbol, client_order_id)
        if found is None:
            raise OrderNotFound(f"{self._name}: order {client_order_id} vanished after amend")
        return found

    async def set_protection(self, category: Category, symbol: str, protection: PositionProtection) -> ProtectionOrders:
        """``/v5/position/trading-stop`` (one-way position): Full mode keeps the whole position's levels; with a
        size, Partial mode adds a TP / SL pair of ``tpSize``/``slSize``, whose conditional orders (which the answer
        does not name) are then found in ``/v5/order/realtime`` as the new ``PartialTakeProfit`` /
        ``PartialStopLoss`` of those prices."""
        if category is not Category.LINEAR:
            raise ProtectionUnsupported(f"{self._name}: {category.value} has no position protection")
        inst = self.instrument(category, symbol)
        mode = "Full" if protection.size is None else "Partial"
        params: dict[str, Any] = {"category": category.value, "symbol": symbol, "tpslMode": mode, "positionIdx": 0}
        for key, value in (
            ("takeProfit", protection.take_profit),
            ("stopLoss", protection.stop_loss),
            ("trailingStop", protection.trailing_stop),
        ):
            if value is not None:
                params[key] = format(value, "f")
        if protection.size is None:
            await self._trading_stop(symbol, params)
            return ProtectionOrders()
        size = inst.floor_qty(protection.size)
        params["tpSize"] = params["slSize"] = format(size, "f")
        async with self._protect_locks.setdefault(symbol, asyncio.Lock()):
            before = {row["orderId"] for row in await self._partial_rows(category, symbol)}
            await self._trading_stop(symbol, params)
            for look in range(PARTIAL_LOOKS):
                found = _new_partials(
                    await self._partial_rows(category, symbol), before, size, protection.take_profit,
                    protection.stop_loss,
                )  # fmt: skip
                if found is not None:
                    return found
                if look + 1 < PARTIAL_LOOKS:
                    await self._clock.sleep(PARTIAL_LOOK_S)
        raise ExchangeError(f"{self._name}: {symbol} partial TP / SL set, but its orders were not found to name")

    async def _trading_stop(self, symbol: str, params: dict[str, Any]) -> None:
        try:
            await self._call("trading stop", self._client.private_post_v5_position_trading_stop, params)
        except OrderRejected as exc:
            raise ProtectionUnsupported(f"{self._name}: {symbol} protection refused: {exc.reason}") from exc

    async def _partial_rows(self, category: Category, symbol: str) -> list[bybit.Row]:
        """The symbol's open partial TP / SL orders (every page of ``/v5/order/realtime``)."""
        rows = await self._open_rows({"category": category.value, "symbol": symbol})
        return [r for r in rows if r.get("stopOrderType") in _PARTIAL_KINDS]

    def _v5_pages(
        self, what: str, method: Callable[[dict[str, Any]], Awaitable[Any]], params: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """Each answer of a V5 list endpoint, ``params`` plus the ``cursor`` its last ``nextPageCursor`` named."""

        async def fetch(cursor: str) -> dict[str, Any]:
            answer: dict[str, Any] = await self._call(what, method, {**params, "cursor": cursor} if cursor else params)
            return answer

        return self._pages(what, fetch, _next_cursor)

    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool:
        """``/v5/order/cancel`` by ``orderId`` for each conditional order; False when one had fired or ended."""
        self.instrument(category, symbol)
        all_open = True
        for order_id in orders.ids:
            params = {"category": category.value, "symbol": symbol, "orderId": order_id}
            try:
                await self._call("cancel protection", self._client.private_post_v5_order_cancel, params)
            except (OrderNotFound, OrderRejected):
                all_open = False
        return all_open

    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None:
        if category is not Category.LINEAR:
            raise ExchangeError(f"{self._name}: {category.value} has no leverage")
        self.instrument(category, symbol)
        text = format(leverage, "f")
        params = {"category": category.value, "symbol": symbol, "buyLeverage": text, "sellLeverage": text}
        try:
            await self._call("set leverage", self._client.private_post_v5_position_set_leverage, params)
        except ExchangeError as exc:
            if "110043" not in str(exc) and "not modified" not in str(exc).lower():
                raise


def _bounds(window: Bounds) -> dict[str, int]:
    """A window's ``startTime`` and ``endTime``, each where it is set."""
    start, end = window
    return {k: v for k, v in (("startTime", start), ("endTime", end)) if v is not None}


def _next_cursor(response: dict[str, Any]) -> str:
    return str(response.get("result", {}).get("nextPageCursor") or "")


def _new_partials(
    rows: list[bybit.Row],
    before: set[Any],
    size: Decimal,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
) -> ProtectionOrders | None:
    """The ids of the pair trading-stop just made: new rows of that size at those prices; None until all are there."""
    ids = {"take_profit": "", "stop_loss": ""}
    wanted = {"take_profit": take_profit or None, "stop_loss": stop_loss or None}
    for row in rows:
        kind = _PARTIAL_KINDS[str(row["stopOrderType"])]
        price = bybit.dec(row, "triggerPrice")
        if row["orderId"] in before or ids[kind] or bybit.dec(row, "qty") != size or price != wanted[kind]:
            continue
        ids[kind] = str(row["orderId"])
    if any(wanted[k] is not None and not ids[k] for k in ids):
        return None
    return ProtectionOrders(ids["take_profit"], ids["stop_loss"])
