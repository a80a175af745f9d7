"""Exchange gateway port: every workflow trades through this one interface.

Adapters: ``SimGateway`` (in-process simulator) and ``CcxtGateway`` (Bybit and any ccxt exchange). Gateways that
can push our order updates also implement ``OrderUpdateStream``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from tradewind.domain.candles import Candle
from tradewind.domain.instruments import FilterError, Instrument
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

__all__ = [
    "ExchangeError",
    "ExchangeGateway",
    "ExchangeUnavailable",
    "FilterError",
    "FundingHistory",
    "FundingUnsupported",
    "InstrumentsNotLoaded",
    "OrderNotFound",
    "OrderRejected",
    "OrderStreamClosed",
    "OrderStreamRefused",
    "OrderStreamUnsupported",
    "OrderUpdateEvent",
    "OrderUpdateStream",
    "ProtectionUnsupported",
    "RateLimited",
    "RealOrdersRefused",
    "UnknownInstrument",
    "fills_since",
]


class ExchangeError(RuntimeError):
    """Base of every error an exchange gateway raises."""


class OrderRejected(ExchangeError):
    """The exchange refused the order; ``reason`` is its explanation."""

    def __init__(self, reason: str, *, client_order_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.client_order_id = client_order_id


class ExchangeUnavailable(ExchangeError):
    """A timeout or connection error: the outcome of the request is unknown."""


class RateLimited(ExchangeError):
    """The exchange answered with a rate limit after the gateway's retries ran out."""


class UnknownInstrument(ExchangeError, KeyError):
    """No instrument of that category and symbol on this exchange."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown instrument"


class InstrumentsNotLoaded(UnknownInstrument):
    """The gateway has no instruments yet (its exchange has not answered since start): ask again later."""


class OrderNotFound(ExchangeError):
    """Cancel or look-up of an order the exchange does not know."""


class RealOrdersRefused(ExchangeError):
    """A mainnet gateway without ``allow_real_orders: true`` refuses to send orders."""


class ProtectionUnsupported(ExchangeError):
    """The exchange (or this category, e.g. spot) cannot keep a stop-loss / take-profit on a position, or refused it:
    whoever needs the protection watches the price itself."""


class FundingUnsupported(ExchangeError, NotImplementedError):
    """The exchange (or its client library) cannot list the account's funding payments; the message names it."""


class OrderStreamClosed(ConnectionError):
    """The order-update connection broke or went silent; the consumer reconnects (missed pushes are not replayed)."""


class OrderStreamRefused(ExchangeError):
    """The venue refused the order stream (credentials, permissions, a topic): reconnecting would not help."""


class OrderStreamUnsupported(OrderStreamRefused, NotImplementedError):
    """The exchange (or its client library) cannot push order updates; the message names the exchange."""


class ExchangeGateway(Protocol):
    """Orders, balances and prices on one exchange account.

    ``place_order`` rounds the intent to the instrument grid and checks its filters before
    anything leaves (FilterError names the rule), and is idempotent by ``client_order_id``: after a
    timeout it looks the order up by its client id before any resend, so one intent is one order.
    """

    @property
    def name(self) -> str: ...

    async def load_instruments(self) -> Sequence[Instrument]: ...

    def instrument(self, category: Category, symbol: str) -> Instrument:
        """The loaded instrument; raises UnknownInstrument naming the symbol."""
        ...

    async def place_order(self, intent: OrderIntent) -> OrderResult: ...

    async def cancel_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult: ...

    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None:
        """The order of our client id, or None. ``since_ns``: no later than the order was placed; where the venue's
        order history answers a limited span (Bybit: 7 days) it is read from there to now, window by window until
        the order is found. Without it, the venue's default span (Bybit: the last 7 days): an older order whose
        creation time is known must be looked up with it."""
        ...

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]: ...

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        """Our fills of ``symbol``; ``since_ns`` is sent in whole milliseconds (``since_ns // 1_000_000``, as the
        venues take it), so the fills from that millisecond on are answered: ``fills_since`` says which."""
        ...

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker: ...

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
        """The exchange's kline history: the newest ``limit`` candles of ``interval`` minutes starting within
        ``[start_ms, end_ms]``, oldest first, paging as the exchange needs. The newest may still be open (its
        ``end_ms`` after now); periods the exchange left out (no trade) are left out here too."""
        ...

    async def fetch_balances(self) -> dict[str, Balance]: ...

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]: ...

    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult:
        """Change an open order's total qty and/or limit price (on the grid); OrderNotFound if it is not open,
        OrderRejected if the exchange refuses the change."""
        ...

    async def set_protection(self, category: Category, symbol: str, protection: PositionProtection) -> ProtectionOrders:
        """Keep stop-loss / take-profit / trailing stop on the exchange's position of ``symbol`` (``0`` removes one),
        so it holds while we are down; ProtectionUnsupported where the exchange or category cannot or refuses.

        With ``protection.size`` it adds a TP / SL pair of that size beside any others (Bybit's Partial mode) and
        returns the ids of the conditional orders it created; without, the whole position's levels (no ids).
        """
        ...

    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool:
        """Cancel the conditional orders of a sized protection; True when every one was still open (and is now
        cancelled), False when one had triggered or ended already (its fills tell what it did)."""
        ...

    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None:
        """The leverage of a derivatives symbol (already that leverage is no error); ProtectionUnsupported-like
        ExchangeError on spot or where the exchange has none."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OrderUpdateEvent:
    """One pushed update of one of our orders: its new state (OrderResult) or one execution (ExecutionFill)."""

    category: Category
    update: OrderResult | ExecutionFill


@runtime_checkable
class OrderUpdateStream(Protocol):
    """A push stream of the account's own order states and fills, separate from the polled ExchangeGateway."""

    def order_updates(self) -> AsyncIterator[OrderUpdateEvent]:
        """Updates as they happen, until cancelled; a broken connection raises OrderStreamClosed (a ConnectionError),
        a refusal OrderStreamRefused. Each call opens a new connection."""
        ...


@runtime_checkable
class FundingHistory(Protocol):
    """The account's own funding payments on its perpetual positions, as the exchange books them."""

    async def fetch_funding(self, since_ns: int, symbol: str | None = None) -> list[FundingPayment]:
        """Every linear funding payment settled at or after ``since_ns`` (of ``symbol``, or all), oldest first, each
        with the exchange's own id, every page read; FundingUnsupported where the exchange cannot tell."""
        ...


_NS_PER_MS = 1_000_000


def fills_since(fills: Iterable[ExecutionFill], since_ns: int) -> list[ExecutionFill]:
    """Of ``fills`` (one read since earlier), those ``fetch_fills(..., since_ns=since_ns)`` answers, in their order.

    Every gateway sends ``since`` in whole milliseconds (Bybit's ``startTime``, ccxt's ``since``, the simulated venue's
    execution time), so a fill counts from the millisecond ``since_ns`` falls in, not from the nanosecond."""
    since_ms = since_ns // _NS_PER_MS
    return [fill for fill in fills if fill.ts_ns // _NS_PER_MS >= since_ms]
