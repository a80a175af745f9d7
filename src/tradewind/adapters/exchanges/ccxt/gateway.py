"""CcxtGateway: the ExchangeGateway port over ccxt's async client, with no duplicate on a resend.

Every order carries its client id. A timeout or connection error is answered by looking the order up
by that id before any resend; a rate-limit answer backs off (with jitter) and retries.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async
import structlog

from tradewind.adapters.exchanges.ccxt import bybit
from tradewind.adapters.exchanges.ccxt.capabilities import ExchangeCapabilities, capabilities_for
from tradewind.adapters.exchanges.ccxt.client import build_client
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import (
    ExchangeError,
    ExchangeUnavailable,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    RealOrdersRefused,
    UnknownInstrument,
)
from tradewind.domain.instruments import Instrument
from tradewind.domain.orders import Balance, ExecutionFill, OrderIntent, OrderResult, PositionSnapshot, Ticker
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)
T = TypeVar("T")


def translate(exc: Exception, what: str) -> ExchangeError:
    """A ccxt exception as the port's typed error."""
    text = f"{what}: {type(exc).__name__}: {exc}"
    if isinstance(exc, ccxt_async.DDoSProtection):  # includes RateLimitExceeded
        return RateLimited(text)
    if isinstance(exc, ccxt_async.OrderNotFound):
        return OrderNotFound(text)
    if isinstance(exc, ccxt_async.NetworkError):  # timeouts, refused connections, 5xx
        return ExchangeUnavailable(text)
    if isinstance(exc, (ccxt_async.InvalidOrder, ccxt_async.InsufficientFunds, ccxt_async.BadRequest)):
        return OrderRejected(str(exc))
    return ExchangeError(text)


class CcxtGateway:
    """One account on Bybit (any environment) or another ccxt exchange."""

    def __init__(
        self,
        name: str,
        settings: ExchangeSettings,
        credentials: Credentials | None,
        clock: Clock,
        *,
        client: Any = None,
        rng: random.Random | None = None,
    ) -> None:
        self._name = name
        self.settings = settings
        self.capabilities: ExchangeCapabilities = capabilities_for(settings)
        if not self.capabilities.bybit_v5:
            raise ValueError(f"{name}: only bybit is wired for orders so far; {settings.type!r} is not")
        self._client = client if client is not None else build_client(settings, credentials)
        self._clock = clock
        self._rng = rng or random.Random()
        self._instruments: dict[tuple[Category, str], Instrument] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def client(self) -> Any:
        """The underlying ccxt client (tests and the book stream share its URLs)."""
        return self._client

    async def load_instruments(self) -> Sequence[Instrument]:
        loaded: dict[tuple[Category, str], Instrument] = {}
        for category in (Category(c) for c in self.capabilities.categories):
            cursor = ""
            while True:
                params = {"category": category.value, "limit": 1000, **({"cursor": cursor} if cursor else {})}
                response = await self._call("instruments", self._client.public_get_v5_market_instruments_info, params)
                for row in bybit.result_list(response):
                    if row.get("status", "Trading") == "Trading":
                        inst = bybit.instrument(category, row)
                        loaded[(category, inst.symbol)] = inst
                cursor = str(response.get("result", {}).get("nextPageCursor") or "")
                if not cursor:
                    break
        self._instruments = loaded
        return list(loaded.values())

    def instrument(self, category: Category, symbol: str) -> Instrument:
        inst = self._instruments.get((category, symbol))
        if inst is None:
            hint = "" if self._instruments else " (load_instruments first)"
            raise UnknownInstrument(f"{self._name}: unknown {category.value} symbol {symbol!r}{hint}")
        return inst

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        """Round, check, send; after a timeout look up by client id before resending, so one intent is one order."""
        if self.settings.is_mainnet and not self.settings.allow_real_orders:
            raise RealOrdersRefused(f"{self._name}: mainnet orders need allow_real_orders: true")
        sent = intent.rounded(self.instrument(intent.category, intent.symbol))
        body = bybit.create_request(sent)
        for attempt in range(self.settings.max_retries + 1):
            try:
                await self._call("create order", self._client.private_post_v5_order_create, body)
            except ExchangeUnavailable as exc:
                log.warning("exchange.order_unknown", exchange=self._name, cid=sent.client_order_id, error=str(exc))
                found = await self._lookup_quietly(sent)
                if found is not None:
                    return found
                if attempt == self.settings.max_retries:
                    raise
                continue
            except OrderRejected as exc:
                # A duplicate client id means an earlier send got through: that order is the answer.
                found = await self._lookup_quietly(sent)
                if found is not None:
                    return found
                raise OrderRejected(exc.reason, client_order_id=sent.client_order_id) from exc
            found = await self.fetch_order(sent.category, sent.symbol, sent.client_order_id)
            if found is None:
                raise ExchangeError(f"{self._name}: order {sent.client_order_id} accepted but not found")
            return found
        raise AssertionError("unreachable")

    async def cancel_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult:
        self.instrument(category, symbol)
        params = {"category": category.value, "symbol": symbol, "orderLinkId": client_order_id}
        try:
            await self._call("cancel order", self._client.private_post_v5_order_cancel, params)
        except (OrderNotFound, OrderRejected) as exc:
            found = await self.fetch_order(category, symbol, client_order_id)
            if found is not None and found.is_final:
                return found
            raise OrderNotFound(f"{self._name}: cannot cancel {client_order_id}: {exc}") from exc
        found = await self.fetch_order(category, symbol, client_order_id)
        if found is None:
            raise OrderNotFound(f"{self._name}: order {client_order_id} vanished after cancel")
        return found

    async def fetch_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult | None:
        params = {"category": category.value, "symbol": symbol, "orderLinkId": client_order_id}
        for endpoint in (self._client.private_get_v5_order_realtime, self._client.private_get_v5_order_history):
            rows = bybit.result_list(await self._call("fetch order", endpoint, params))
            if rows:
                return bybit.order_result(rows[0])
        return None

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]:
        params: dict[str, Any] = {"category": category.value, "limit": 50}
        params.update({"symbol": symbol} if symbol else {"settleCoin": "USDT"} if category is Category.LINEAR else {})
        rows = bybit.result_list(await self._call("open orders", self._client.private_get_v5_order_realtime, params))
        return [bybit.order_result(r) for r in rows]

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        params: dict[str, Any] = {"category": category.value, "symbol": symbol, "limit": 100}
        if client_order_id:
            params["orderLinkId"] = client_order_id
        if since_ns is not None:
            params["startTime"] = since_ns // 1_000_000
        rows = bybit.result_list(await self._call("fills", self._client.private_get_v5_execution_list, params))
        return sorted((bybit.fill(r) for r in rows), key=lambda f: f.ts_ns)

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        self.instrument(category, symbol)
        params = {"category": category.value, "symbol": symbol}
        response = await self._call("ticker", self._client.public_get_v5_market_tickers, params)
        rows = bybit.result_list(response)
        if not rows:
            raise UnknownInstrument(f"{self._name}: no ticker for {category.value} {symbol}")
        return bybit.ticker(rows[0], int(response.get("time") or self._clock.now_ms()))

    async def fetch_balances(self) -> dict[str, Balance]:
        response = await self._call(
            "balances", self._client.private_get_v5_account_wallet_balance, {"accountType": "UNIFIED"}
        )
        accounts = bybit.result_list(response)
        return bybit.balances(accounts[0]) if accounts else {}

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        if category is not Category.LINEAR:
            return []
        params = {"category": category.value, "settleCoin": "USDT", "limit": 200}
        rows = bybit.result_list(await self._call("positions", self._client.private_get_v5_position_list, params))
        return [bybit.position(r) for r in rows if bybit.dec(r, "size")]

    async def close(self) -> None:
        await self._client.close()

    # --- internals --------------------------------------------------------------------------------

    async def _lookup_quietly(self, intent: OrderIntent) -> OrderResult | None:
        """The order by client id, retrying the look-up itself while the exchange is unreachable."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return await self.fetch_order(intent.category, intent.symbol, intent.client_order_id)
            except ExchangeUnavailable:
                if attempt == self.settings.max_retries:
                    raise
                await self._backoff(attempt)
        return None

    async def _call(self, what: str, method: Callable[[Any], Awaitable[T]], params: Any) -> T:
        """One ccxt call, retried with backoff on rate-limit answers; every error translated."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return await method(params)
            except ccxt_async.BaseError as exc:
                error = translate(exc, f"{self._name} {what}")
            if not isinstance(error, RateLimited) or attempt == self.settings.max_retries:
                raise error
            log.info("exchange.rate_limited", exchange=self._name, what=what, attempt=attempt)
            await self._backoff(attempt)
        raise AssertionError("unreachable")

    async def _backoff(self, attempt: int) -> None:
        delay = self.settings.backoff_s * (2**attempt)
        await self._clock.sleep(delay * (0.5 + self._rng.random()))  # jitter spreads retries of many clients


__all__ = ["CcxtGateway", "translate"]
