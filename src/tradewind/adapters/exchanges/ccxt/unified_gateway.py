"""UnifiedCcxtGateway: any ccxt exchange through ccxt's unified API, numbers kept as exact decimal strings.

Orders carry the client id as ccxt's unified ``clientOrderId`` param. Where ccxt's ``fetch_order`` asks the venue by
client id (``ExchangeCapabilities.lookup_by_client_id``) that is the look-up; elsewhere the open and recent closed
orders are scanned for it. Quantities are base units in the domain and contracts in ccxt (``Market.contracts``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import structlog

from tradewind.adapters.exchanges.ccxt import unified
from tradewind.adapters.exchanges.ccxt.gateway import CLOCK_SKEW_MS, MAX_PAGES, CcxtGateway, time_windows
from tradewind.adapters.exchanges.ccxt.pro_orders import CcxtProOrderStream
from tradewind.application.ports.exchange import (
    ExchangeError,
    FundingUnsupported,
    OrderNotFound,
    OrderRejected,
    OrderUpdateEvent,
    ProtectionUnsupported,
)
from tradewind.domain.candles import Candle, ccxt_timeframe, interval_ms
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
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

log = structlog.get_logger(__name__)

KLINE_PAGE = 1000  # rows asked per fetch_ohlcv call (ccxt's venues cap a page at 200 to 1500)
ORDER_PAGE = 50  # orders asked per page where the venue pages them by cursor (Bybit's most)
POSITION_PAGE = 200  # positions asked per page where the venue pages them by cursor (Bybit's most)
ORDER_ID_PAGE = 1000  # orders asked per page where the venue pages them by ``orderId`` (Binance's allOrders most)
# The sign of ccxt's unified funding ``amount`` (read in each exchange's ``parse_income``): Binance passes its
# ``income`` (received positive), Bybit its ``execFee`` (paid positive). Elsewhere the sign is not known.
_FUNDING_RECEIVED_SIGN = {"binance": 1, "binanceusdm": 1, "bybit": -1}
_REMEMBERED_ORDERS = 10_000  # exchange order id -> client id, so fills fetched without a client id can name theirs
Span = tuple[int | None, int | None]  # a listing's since and until (ms), each sent where not None


class UnifiedCcxtGateway(CcxtGateway):
    """One account on any ccxt exchange (spot and linear perpetuals)."""

    def _setup(self) -> None:
        self._markets: dict[tuple[Category, str], unified.Market] = {}
        self._by_ccxt_symbol: dict[str, unified.Market] = {}
        self._client_ids: OrderedDict[str, str] = OrderedDict()
        self._pushed = CcxtProOrderStream(
            self._name, self.settings, self._credentials, market_of=self._market_of_symbol,
            client_id_of=self._client_id_of, remember=self._remember,
        )  # fmt: skip

    def order_updates(self) -> AsyncIterator[OrderUpdateEvent]:
        """Our orders' states and fills through ccxt.pro's ``watch_orders`` / ``watch_my_trades``, where it has them."""
        return self._pushed.updates()

    async def close(self) -> None:
        await self._pushed.close()
        await super().close()

    async def _load_instruments(self) -> Sequence[Instrument]:
        rows = await self._call("markets", self._client.load_markets, True)
        markets: dict[tuple[Category, str], unified.Market] = {}
        skipped: list[str] = []
        for row in rows.values():
            category = unified.category_of(row)
            if category not in self.capabilities.categories or row.get("active") is False:
                continue
            try:
                market = unified.market(row, self._client.precisionMode)
            except unified.UnsupportedMarket as exc:
                skipped.append(str(exc))
                continue
            markets[(category, market.instrument.symbol)] = market
        if skipped:
            log.info("exchange.markets_skipped", exchange=self._name, count=len(skipped), first=skipped[:3])
        self._markets = markets
        self._by_ccxt_symbol = {m.ccxt_symbol: m for m in markets.values()}
        return [m.instrument for m in markets.values()]

    async def _send_order(self, intent: OrderIntent) -> None:
        market = self._market(intent.category, intent.symbol)
        params: dict[str, Any] = {"clientOrderId": intent.client_order_id}
        price: str | None = None
        if intent.order_type is OrderType.LIMIT:
            assert intent.price is not None
            price = format(intent.price, "f")
            if intent.tif is TimeInForce.POST_ONLY:
                params["postOnly"] = True
            elif intent.tif is not TimeInForce.GTC:
                params["timeInForce"] = intent.tif.value
        if intent.reduce_only:
            params["reduceOnly"] = True
        kind = "market" if intent.order_type is OrderType.MARKET else "limit"
        side = "buy" if intent.side is Side.BUY else "sell"
        amount = format(market.contracts(intent.qty), "f")
        order = await self._call(
            "create order", self._client.create_order, market.ccxt_symbol, kind, side, amount, price, params
        )
        if order.get("id"):
            self._remember(str(order["id"]), intent.client_order_id)

    async def _send_cancel(self, category: Category, symbol: str, client_order_id: str) -> None:
        # ccxt cancels by the venue's order id: find it by our client id first.
        found = await self.fetch_order(category, symbol, client_order_id)
        if found is None:
            raise OrderNotFound("no such order")
        if found.is_final:
            raise OrderRejected(f"already {found.state.value}")
        market = self._market(category, symbol)
        await self._call("cancel order", self._client.cancel_order, found.exchange_order_id, market.ccxt_symbol)

    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None:
        market = self._market(category, symbol)
        # The venue stamps the order by its own clock, which may run behind ours: look from a skew earlier.
        since_ms = None if since_ns is None else since_ns // 1_000_000 - CLOCK_SKEW_MS
        row = await self._find(market, client_order_id, since_ms)
        if row is None:
            return None
        self._remember(str(row.get("id") or ""), client_order_id)
        return unified.order_result(row, market)

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]:
        """Every page of the venue's open orders (of the category's market type when no symbol is named)."""
        ccxt_symbol = self._market(category, symbol).ccxt_symbol if symbol else None
        scope = {} if symbol else _market_type(category)
        rows = await self._all_rows("open orders", self._client.fetch_open_orders, ccxt_symbol, ORDER_PAGE, scope)
        results = []
        for row in rows:
            named = self._by_ccxt_symbol.get(str(row.get("symbol")))
            # Every row is of the category asked for; ccxt, parsing a row of no one symbol, may name the linear market
            # of the same id for a spot row (Bybit's "BTCUSDT"): the market is the category's of that id.
            market = None if named is None else self._markets.get((category, named.instrument.symbol))
            if market is not None:
                results.append(unified.order_result(row, market))
        return results

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        market = self._market(category, symbol)
        since_ms = None if since_ns is None else since_ns // 1_000_000
        if client_order_id:
            order = await self.fetch_order(category, symbol, client_order_id, since_ns=since_ns)
            if order is None:
                return []
            rows = await self._order_trades(market, order.exchange_order_id, since_ms)
        else:
            rows = await self._paged_trades(self._client.fetch_my_trades, (market.ccxt_symbol,), since_ms, {})
            unknown = {str(row.get("order")) for row in rows} - self._client_ids.keys()
            if unknown:
                await self._learn_client_ids(market, unknown, since_ms)  # a trade names only its exchange order id
        fills = [
            unified.fill(row, market, client_order_id or self._client_ids.get(str(row.get("order")), ""))
            for row in rows
        ]
        return sorted(fills, key=lambda f: (f.ts_ns, f.trade_id))

    async def fetch_funding(self, since_ns: int, symbol: str | None = None) -> list[FundingPayment]:
        """ccxt's ``fetch_funding_history`` per linear market, paged as the trades are; FundingUnsupported where
        ccxt has none or its sign for this exchange is not known."""
        sign = _FUNDING_RECEIVED_SIGN.get(self.settings.type)
        if sign is None or not self._client.has.get("fetchFundingHistory"):
            raise FundingUnsupported(f"{self._name}: funding history of {self.settings.type} is not read through ccxt")
        if symbol is not None:
            markets = [self._market(Category.LINEAR, symbol)]
        else:
            markets = [m for (category, _), m in self._markets.items() if category is Category.LINEAR]
        found: dict[str, FundingPayment] = {}
        for market in markets:
            method, leading = self._client.fetch_funding_history, (market.ccxt_symbol,)
            for row in await self._paged_trades(method, leading, since_ns // 1_000_000, {}):
                payment = unified.funding(self._name, row, market, sign)
                found[payment.funding_id] = payment
        return sorted(found.values(), key=lambda p: (p.ts_ns, p.funding_id))

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        market = self._market(category, symbol)
        row = await self._call("ticker", self._client.fetch_ticker, market.ccxt_symbol)
        return unified.ticker(row, market, self._clock.now_ms())

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
        """ccxt's ``fetch_ohlcv`` over windows of one page each, newest window first (``since`` and ``until`` bound
        each, as venues answer a longer window with either its oldest or its newest rows), until ``limit`` candles
        are found, ``start_ms`` is reached, or (without ``start_ms``) a window is empty."""
        market = self._market(category, symbol)
        ref = InstrumentRef(self._name, category, symbol)
        width = interval_ms(interval)
        floor = start_ms or 0
        until = self._clock.now_ms() if end_ms is None else end_ms
        found: dict[int, Candle] = {}
        while len(found) < limit and until >= floor:
            since = max(floor, until - until % width - (KLINE_PAGE - 1) * width)
            rows = await self._call(
                "klines", self._client.fetch_ohlcv, market.ccxt_symbol, ccxt_timeframe(interval), since, KLINE_PAGE,
                {"until": until},
            )  # fmt: skip
            page = [unified.candle(ref, interval, row, market.contract_size) for row in rows]
            page = [c for c in page if since - since % width <= c.start_ms <= until and c.start_ms >= floor]
            if not page and start_ms is None:
                break  # nothing older: the venue's history ends here
            found.update((c.start_ms, c) for c in page)
            until = since - since % width - 1
        return sorted(found.values(), key=lambda c: c.start_ms)[-limit:]

    async def fetch_balances(self) -> dict[str, Balance]:
        return unified.balances(await self._call("balances", self._client.fetch_balance))

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        if category is Category.SPOT or not self._client.has.get("fetchPositions"):
            return []
        # Some venues take one symbol at most: all of them, page by page where the venue pages them.
        if self.capabilities.list_paging == "cursor":
            rows: list[dict[str, Any]] = []
            async for page in self._pages("positions", self._positions_page, _row_cursor):
                rows.extend(page)
        else:
            rows = await self._call("positions", self._client.fetch_positions)
        out = []
        for row in rows:
            market = self._by_ccxt_symbol.get(str(row.get("symbol")))
            if market is None or market.instrument.category is not category:
                continue
            snapshot = unified.position(row, market)
            if snapshot is not None:
                out.append(snapshot)
        return out

    # --- internals --------------------------------------------------------------------------------

    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult:
        """ccxt's ``edit_order`` on the open order found by our client id (qty and price on the grid)."""
        market = self._market(category, symbol)
        inst = market.instrument
        found = await self.fetch_order(category, symbol, client_order_id)
        if found is None or found.is_final:
            raise OrderNotFound(f"{self._name}: cannot amend {client_order_id}: not an open order")
        new_qty = inst.floor_qty(qty) if qty is not None else found.qty
        new_price = inst.round_price(price) if price is not None else found.price
        if new_qty is None or new_price is None or found.side is None:
            raise OrderRejected(f"{self._name}: only a limit order with a known size can be amended")
        side = "buy" if found.side is Side.BUY else "sell"
        await self._call(
            "amend order", self._client.edit_order, found.exchange_order_id, market.ccxt_symbol, "limit", side,
            format(market.contracts(new_qty), "f"), format(new_price, "f"), {},
        )  # fmt: skip
        amended = await self.fetch_order(category, symbol, client_order_id)
        if amended is None:
            raise OrderNotFound(f"{self._name}: order {client_order_id} vanished after amend")
        return amended

    async def set_protection(self, category: Category, symbol: str, protection: PositionProtection) -> ProtectionOrders:
        """ccxt's unified API has no position-level stop-loss / take-profit, whole or sized: the caller watches."""
        self._market(category, symbol)
        what = "sized (partial) " if protection.size is not None else ""
        raise ProtectionUnsupported(
            f"{self._name}: {what}position protection is not in ccxt's unified API ({category.value} {symbol})"
        )

    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool:
        """Nothing to cancel: this gateway never sets protection orders."""
        self._market(category, symbol)
        raise ProtectionUnsupported(f"{self._name}: no position protection orders through ccxt's unified API")

    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None:
        market = self._market(category, symbol)
        if category is not Category.LINEAR:
            raise ExchangeError(f"{self._name}: {category.value} has no leverage")
        try:
            await self._call("set leverage", self._client.set_leverage, format(leverage, "f"), market.ccxt_symbol)
        except ExchangeError as exc:
            if "110043" not in str(exc) and "not modified" not in str(exc).lower():
                raise

    def _market(self, category: Category, symbol: str) -> unified.Market:
        self.instrument(category, symbol)  # raises UnknownInstrument naming the symbol
        return self._markets[(category, symbol)]

    async def _find(self, market: unified.Market, client_order_id: str, since_ms: int | None) -> dict[str, Any] | None:
        """The venue's order with this client id, asked by id where ccxt can, else scanned for: the open orders, then
        the closed ones window by window from ``since_ms`` (where the venue lists a limited span) until found."""
        if self.capabilities.lookup_by_client_id:
            try:
                row: dict[str, Any] = await self._call(
                    "fetch order",
                    self._client.fetch_order,
                    None,
                    market.ccxt_symbol,
                    {"clientOrderId": client_order_id},
                )
            except OrderNotFound:
                return None
            return row
        for listing, span in self._listing_spans(since_ms):
            async for page in self._listing_pages(
                "fetch order", listing, market.ccxt_symbol, ORDER_PAGE, {}, span=span
            ):
                for candidate in page:
                    if candidate.get("clientOrderId") == client_order_id:
                        return dict(candidate)
        return None

    async def _learn_client_ids(self, market: unified.Market, wanted: set[str], since_ms: int | None) -> None:
        """Remember the client ids of the market's orders the venue lists (the closed ones from ``since_ms``, window
        by window where the venue lists a limited span), page by page until each ``wanted`` order id is named or the
        lists end (Binance: ``allOrders`` by ``orderId``, on from the least wanted one)."""
        if self.capabilities.trade_paging == "from_id" and all(w.isdigit() for w in wanted):
            await self._learn_from_order_id(market, wanted)
            return
        for listing, span in self._listing_spans(since_ms):
            async for page in self._listing_pages("orders", listing, market.ccxt_symbol, ORDER_PAGE, {}, span=span):
                self._remember_rows(page)
                if wanted <= self._client_ids.keys():
                    return

    async def _learn_from_order_id(self, market: unified.Market, wanted: set[str]) -> None:
        async def fetch(cursor: str) -> list[dict[str, Any]]:
            params = {"orderId": int(cursor or min(wanted, key=int))}
            rows: list[dict[str, Any]] = await self._call(
                "orders", self._client.fetch_orders, market.ccxt_symbol, None, ORDER_ID_PAGE, params
            )
            return rows

        def next_id(rows: list[dict[str, Any]]) -> str:
            if len(rows) < ORDER_ID_PAGE or wanted <= self._client_ids.keys():
                return ""
            return str(max(int(r["id"]) for r in rows) + 1)

        async for page in self._pages("orders", fetch, next_id):
            self._remember_rows(page)

    def _remember_rows(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row.get("clientOrderId"):
                self._remember(str(row.get("id") or ""), str(row["clientOrderId"]))

    def _listings(self) -> list[Any]:
        """The ccxt methods that together list open, filled and cancelled orders of a market."""
        client, has = self._client, self._client.has
        if has.get("fetchCanceledAndClosedOrders"):
            return [client.fetch_open_orders, client.fetch_canceled_and_closed_orders]
        if has.get("fetchOrders"):
            return [client.fetch_orders]
        closed = [
            client.fetch_closed_orders,
            *([client.fetch_canceled_orders] if has.get("fetchCanceledOrders") else []),
        ]
        return [client.fetch_open_orders, *closed]

    def _listing_spans(self, since_ms: int | None) -> list[tuple[Any, Span]]:
        """Each listing of ``_listings`` with the time spans to ask it for, oldest first: the open orders (and any
        listing of a venue answering any span, or without ``since_ms``) at once, the closed ones of a venue listing a
        limited span (Bybit's 7 days) in windows from ``since_ms`` to now, the last one ended by the venue's clock."""
        width = self.capabilities.order_window_ms
        spans: list[tuple[Any, Span]] = []
        for listing in self._listings():
            if width is None or since_ms is None or listing == self._client.fetch_open_orders:
                spans.append((listing, (None, None)))
                continue
            windows = time_windows(since_ms, self._clock.now_ms(), width, open_skew_ms=CLOCK_SKEW_MS)
            spans.extend((listing, window) for window in windows)
        return spans

    async def _order_trades(self, market: unified.Market, order_id: str, since_ms: int | None) -> list[dict[str, Any]]:
        leading: tuple[str, ...] = (market.ccxt_symbol,)
        method = self._client.fetch_my_trades
        if self._client.has.get("fetchOrderTrades"):
            method, leading = self._client.fetch_order_trades, (order_id, market.ccxt_symbol)
        # Binance refuses an order's trades asked with a time (-1128: orderId with startTime): they are all asked for
        # and ``since_ms`` kept here instead.
        by_id = self.capabilities.trade_paging == "from_id"
        rows = await self._paged_trades(method, leading, None if by_id else since_ms, {})
        return [
            r
            for r in rows
            if str(r.get("order")) == order_id and (since_ms is None or int(r.get("timestamp") or 0) >= since_ms)
        ]

    async def _paged_trades(
        self, method: Any, leading: tuple[Any, ...], since_ms: int | None, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every trade the call answers from ``since_ms`` to now, page after page (an order can have far more executions
        than one page), window by window where the venue answers a limited span from ``since`` (Bybit: 7 days; the
        last window sent without ``until``, so the venue's clock ends it)."""
        width = self.capabilities.trade_window_ms
        if width is None or since_ms is None:  # no since: the venue's default span (Bybit: the last 7 days)
            return list((await self._trade_pages(method, leading, since_ms, params)).values())
        by_id: dict[str, dict[str, Any]] = {}
        for start, end in time_windows(since_ms, self._clock.now_ms(), width, open_skew_ms=CLOCK_SKEW_MS):
            until = {} if end is None else {"until": end}
            by_id.update(await self._trade_pages(method, leading, start, {**params, **until}))
        return list(by_id.values())

    async def _trade_pages(
        self, method: Any, leading: tuple[Any, ...], since_ms: int | None, params: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """The trades of one call's pages, by id."""
        caps = self.capabilities
        limit = caps.trades_per_page
        by_id: dict[str, dict[str, Any]] = {}
        since = since_ms
        if caps.trade_paging == "from_id" and since is None:
            params = {**params, "fromId": 0}  # from the first trade on: without it the venue answers the newest page
        for _ in range(MAX_PAGES):
            rows = await self._call("fills", method, *leading, since, limit, params)
            fresh = [r for r in rows if str(r.get("id")) not in by_id]
            by_id.update((str(r.get("id")), r) for r in fresh)
            if len(rows) < limit or not fresh:
                break
            if caps.trade_paging == "cursor":
                # ccxt sorts the rows by time after putting the cursor in the first raw row's info: look in each.
                cursor = _row_cursor(rows)
                if not cursor:
                    break
                params = {**params, "cursor": cursor}
            elif caps.trade_paging == "from_id":
                since, params = None, {**params, "fromId": max(int(r["id"]) for r in rows) + 1}
            else:  # by time, inclusive: a repeat of the last millisecond's trades is dropped by id
                since = max(int(r.get("timestamp") or 0) for r in rows)
        else:
            raise self._pages_exhausted("fills", params.get("cursor") or params.get("fromId") or since)
        return by_id

    def _listing_pages(
        self,
        what: str,
        method: Any,
        ccxt_symbol: str | None,
        limit: int,
        params: dict[str, Any],
        *,
        span: Span = (None, None),
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page of a ccxt order listing over ``span`` (``since`` and ``until``, each sent where set): followed by
        Bybit's cursor (ccxt leaves it in one row's ``info``) where the venue pages so, else the venue's one answer."""
        paged = self.capabilities.list_paging == "cursor"
        since, until = span
        if until is not None:
            params = {**params, "until": until}

        async def fetch(cursor: str) -> list[dict[str, Any]]:
            if not paged:
                rows: list[dict[str, Any]] = await self._call(what, method, ccxt_symbol, since, None, params)
                return rows
            return await self._call(what, method, ccxt_symbol, since, limit, {**params, **_cursor_param(cursor)})

        return self._pages(what, fetch, _row_cursor if paged else _no_cursor)

    async def _all_rows(
        self, what: str, method: Any, ccxt_symbol: str | None, limit: int, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every row of every page of a listing, by id (a page shifted by an order placed meanwhile repeats one)."""
        by_id: dict[str, dict[str, Any]] = {}
        async for page in self._listing_pages(what, method, ccxt_symbol, limit, params):
            by_id.update((str(r.get("id")), r) for r in page)
        return list(by_id.values())

    async def _positions_page(self, cursor: str) -> list[dict[str, Any]]:
        params = {"limit": POSITION_PAGE, **_cursor_param(cursor)}
        rows: list[dict[str, Any]] = await self._call("positions", self._client.fetch_positions, None, params)
        return rows

    def _market_of_symbol(self, ccxt_symbol: str) -> unified.Market | None:
        return self._by_ccxt_symbol.get(ccxt_symbol)

    def _client_id_of(self, order_id: str) -> str:
        return self._client_ids.get(order_id, "")

    def _remember(self, order_id: str, client_order_id: str) -> None:
        if not order_id:
            return
        self._client_ids[order_id] = client_order_id
        self._client_ids.move_to_end(order_id)
        while len(self._client_ids) > _REMEMBERED_ORDERS:
            self._client_ids.popitem(last=False)


def _market_type(category: Category) -> dict[str, str]:
    """ccxt's ``type`` param naming the category's markets, for a listing of no one symbol."""
    return {"type": "spot"} if category is Category.SPOT else {"type": "swap"}


def _cursor_param(cursor: str) -> dict[str, str]:
    return {"cursor": cursor} if cursor else {}


def _row_cursor(rows: list[dict[str, Any]]) -> str:
    """Bybit's ``nextPageCursor``, which ccxt puts in the first raw row's ``info`` before sorting the rows."""
    return str(next((c for r in rows if (c := r.get("info", {}).get("nextPageCursor"))), ""))


def _no_cursor(rows: list[dict[str, Any]]) -> str:
    return ""
