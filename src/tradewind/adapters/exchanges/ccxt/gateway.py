"""CcxtGateway: what every ccxt-backed gateway shares: retries, backoff, the mainnet guard, no duplicate on a resend.

Every order carries its client id. A timeout or connection error is answered by looking the order up by that id
before any resend; a rate-limit answer backs off (with jitter) and retries. Subclasses say how an order is sent and
looked up: ``BybitV5Gateway`` (Bybit's raw V5 rows) and ``UnifiedCcxtGateway`` (ccxt's unified API, any exchange).
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async
import structlog

from tradewind.adapters.exchanges.ccxt.capabilities import ExchangeCapabilities, capabilities_for
from tradewind.adapters.exchanges.ccxt.client import build_client
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import (
    ExchangeError,
    ExchangeUnavailable,
    InstrumentsNotLoaded,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    RealOrdersRefused,
    UnknownInstrument,
)
from tradewind.domain.candles import Candle
from tradewind.domain.instruments import Instrument
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
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)
T = TypeVar("T")
# Pages read for one list (open orders, positions, fills of one order or window, ...): far beyond any real list,
# so only a venue whose cursor never ends reaches it, and gets a clear error instead of a read for ever.
MAX_PAGES = 1000
# "Busy, try again" answers ccxt reads as plain errors: Bybit's retCode 10016 (server busy, maintenance, internal
# error) and Binance's -1008 (SERVER_BUSY). Nothing says whether the request was served, as after a timeout.
_BUSY = re.compile(r'"retCode"\s*:\s*10016\b|"code"\s*:\s*-1008\b')
# How far a venue's clock may run ahead of ours, at most (Bybit refuses a request stamped 5 s off, its recv_window):
# a windowed list's last window, sent with a start alone, begins at least this much under its width before our now.
CLOCK_SKEW_MS = 3_600_000
Window = tuple[int, int | None]  # a list read's [startTime, endTime] in ms, inclusive; endTime None: the venue's own


def time_windows(since_ms: int, now_ms: int, width_ms: int, *, open_skew_ms: int | None = None) -> list[Window]:
    """Consecutive windows from ``since_ms`` to ``now_ms``, each spanning less than ``width_ms`` (a venue refusing
    ``endTime - startTime`` beyond it takes them all). With ``open_skew_ms`` the last one has no end: the venue answers
    ``width_ms`` from its start by its own clock, which it begins late enough to reach ``open_skew_ms`` past our now,
    so nothing the venue stamped after our clock's now is missed."""
    windows: list[Window] = []
    start = since_ms
    if open_skew_ms is None:
        while start <= now_ms:
            end = min(start + width_ms - 1, now_ms)
            windows.append((start, end))
            start = end + 1
        return windows
    assert width_ms > 2 * open_skew_ms, "the open window must reach past now by the skew"
    while now_ms - start > width_ms - open_skew_ms:  # from here alone the venue's answer might stop short of now
        end = min(start + width_ms - 1, now_ms - open_skew_ms)
        windows.append((start, end))
        start = end + 1
    windows.append((start, None))
    return windows


def translate(exc: Exception, what: str) -> ExchangeError:
    """A ccxt exception as the port's typed error."""
    text = f"{what}: {type(exc).__name__}: {exc}"
    # Checked before NetworkError, their base: in ccxt 4.5 RateLimitExceeded is no longer a DDoSProtection.
    if isinstance(exc, (ccxt_async.RateLimitExceeded, ccxt_async.DDoSProtection)):
        return RateLimited(text)
    if isinstance(exc, ccxt_async.OrderNotFound):
        return OrderNotFound(text)
    if isinstance(exc, ccxt_async.NetworkError) or _BUSY.search(str(exc)):  # timeouts, refused connections, 5xx
        return ExchangeUnavailable(text)
    if isinstance(exc, (ccxt_async.InvalidOrder, ccxt_async.InsufficientFunds, ccxt_async.BadRequest)):
        return OrderRejected(str(exc))
    return ExchangeError(text)


class CcxtGateway(ABC):
    """One account on an exchange through a ccxt async client; subclasses send and look up orders."""

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
        self._client = client if client is not None else build_client(settings, credentials)
        self._credentials = credentials
        self._clock = clock
        self._rng = rng or random.Random()
        self._instruments: dict[tuple[Category, str], Instrument] = {}
        self._setup()

    @abstractmethod
    def _setup(self) -> None:
        """A subclass's own state, made once the base's is in place."""

    @property
    def name(self) -> str:
        return self._name

    @property
    def client(self) -> Any:
        """The underlying ccxt client (tests and the book stream share its URLs)."""
        return self._client

    async def load_instruments(self) -> Sequence[Instrument]:
        self._instruments = {(i.category, i.symbol): i for i in await self._load_instruments()}
        return list(self._instruments.values())

    def instrument(self, category: Category, symbol: str) -> Instrument:
        inst = self._instruments.get((category, symbol))
        if inst is None:
            if not self._instruments:
                raise InstrumentsNotLoaded(
                    f"{self._name}: unknown {category.value} symbol {symbol!r} (no instruments loaded yet: has the "
                    "exchange answered?)"
                )
            raise UnknownInstrument(f"{self._name}: unknown {category.value} symbol {symbol!r}")
        return inst

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        """Round, check, send; after a timeout look up by client id before resending, so one intent is one order."""
        if self.settings.is_mainnet and not self.settings.allow_real_orders:
            raise RealOrdersRefused(f"{self._name}: mainnet orders need allow_real_orders: true")
        sent = intent.rounded(self.instrument(intent.category, intent.symbol))
        if not self.capabilities.client_ids_unique:
            # The venue would take a used client id again once its order closed: ask before the first send too.
            earlier = await self._lookup_quietly(sent)
            if earlier is not None:
                return earlier
        for attempt in range(self.settings.max_retries + 1):
            try:
                await self._send_order(sent)
            except ExchangeUnavailable as exc:
                log.warning("exchange.order_unknown", exchange=self._name, cid=sent.client_order_id, error=str(exc))
                found = await self._lookup_quietly(sent)
                if found is not None:
                    return found
                if attempt == self.settings.max_retries:
                    raise
                await self._backoff(attempt)  # a timeout often means an overloaded venue: do not resend at once
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
        """Cancel by client id; an order that ended meanwhile (filled, or cancelled already) is the answer."""
        self.instrument(category, symbol)
        try:
            await self._send_cancel(category, symbol, client_order_id)
        except (OrderNotFound, OrderRejected) as exc:
            found = await self.fetch_order(category, symbol, client_order_id)
            if found is not None and found.is_final:
                return found
            raise OrderNotFound(f"{self._name}: cannot cancel {client_order_id}: {exc}") from exc
        found = await self.fetch_order(category, symbol, client_order_id)
        if found is None:
            raise OrderNotFound(f"{self._name}: order {client_order_id} vanished after cancel")
        return found

    async def close(self) -> None:
        await self._client.close()

    # --- what a subclass provides -----------------------------------------------------------------

    @abstractmethod
    async def _load_instruments(self) -> Sequence[Instrument]: ...

    @abstractmethod
    async def _send_order(self, intent: OrderIntent) -> None:
        """Send one rounded, checked intent; raises the port's errors (translated by ``_call``)."""

    @abstractmethod
    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None: ...

    @abstractmethod
    async def _send_cancel(self, category: Category, symbol: str, client_order_id: str) -> None:
        """Ask the venue to cancel; OrderNotFound or OrderRejected when it will not (``cancel_order`` looks why)."""

    @abstractmethod
    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]: ...

    @abstractmethod
    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]: ...

    @abstractmethod
    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker: ...

    @abstractmethod
    async def fetch_candles(
        self,
        category: Category,
        symbol: str,
        interval: int,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 200,
    ) -> list[Candle]: ...

    @abstractmethod
    async def fetch_balances(self) -> dict[str, Balance]: ...

    @abstractmethod
    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]: ...

    @abstractmethod
    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult: ...

    @abstractmethod
    async def set_protection(
        self, category: Category, symbol: str, protection: PositionProtection
    ) -> ProtectionOrders: ...

    @abstractmethod
    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool: ...

    @abstractmethod
    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None: ...

    # --- shared internals -------------------------------------------------------------------------

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

    async def _call(self, what: str, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        """One ccxt call, retried with backoff on rate-limit answers; every error translated."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return await method(*args)
            except ccxt_async.BaseError as exc:
                error = translate(exc, f"{self._name} {what}")
            if not isinstance(error, RateLimited) or attempt == self.settings.max_retries:
                raise error
            log.info("exchange.rate_limited", exchange=self._name, what=what, attempt=attempt)
            await self._backoff(attempt)
        raise AssertionError("unreachable")

    async def _pages(
        self, what: str, fetch: Callable[[str], Awaitable[T]], cursor_of: Callable[[T], str]
    ) -> AsyncIterator[T]:
        """Each page ``fetch(cursor)`` answers, from cursor "" on, until the venue names no next one; a cursor named
        twice, or more than ``MAX_PAGES`` pages, raise ``ExchangeError`` rather than read for ever."""
        cursor, seen = "", set()
        for _ in range(MAX_PAGES):
            page = await fetch(cursor)
            yield page
            cursor = cursor_of(page)
            if not cursor:
                return
            if cursor in seen:
                raise ExchangeError(f"{self._name} {what}: the venue named the page cursor {cursor!r} again")
            seen.add(cursor)
        raise self._pages_exhausted(what, cursor)

    def _pages_exhausted(self, what: str, cursor: object) -> ExchangeError:
        return ExchangeError(
            f"{self._name} {what}: still a next page after {MAX_PAGES} pages (cursor {cursor!r}); "
            "the list was not read to its end"
        )

    async def _backoff(self, attempt: int) -> None:
        delay = self.settings.backoff_s * (2**attempt)
        await self._clock.sleep(delay * (0.5 + self._rng.random()))  # jitter spreads retries of many clients


__all__ = ["CLOCK_SKEW_MS", "MAX_PAGES", "CcxtGateway", "Window", "time_windows", "translate"]
