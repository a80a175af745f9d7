"""PublishingGateway: any ExchangeGateway, publishing ``order.event`` for each state and fill of our orders.

States and fills come from the calls it delegates (place, cancel, fetch) and, once started, from the inner gateway's
push stream (``OrderUpdateStream``) when it has one; both go through one de-duplication.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence
from decimal import Decimal
from typing import TypeVar

import structlog

from tradewind.application.lifecycle import cancel_and_wait
from tradewind.application.messages.market import ORDER_EVENT
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import (
    ExchangeGateway,
    FundingHistory,
    FundingUnsupported,
    OrderRejected,
    OrderStreamRefused,
    OrderStreamUnsupported,
    OrderUpdateEvent,
    OrderUpdateStream,
)
from tradewind.domain.candles import Candle
from tradewind.domain.instruments import Instrument
from tradewind.domain.order_events import OrderEventKind, OrderUpdate, update_from_fill, update_from_result
from tradewind.domain.orders import (
    Balance,
    ExecutionFill,
    OrderIntent,
    OrderResult,
    OrderState,
    PositionProtection,
    PositionSnapshot,
    ProtectionOrders,
    Ticker,
)
from tradewind.domain.spread.orders import FundingPayment
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)

V = TypeVar("V")
_REMEMBERED = 10_000  # orders / fills whose last published state is kept to skip repeats


class PublishingGateway:
    """Delegates every call; a state is published when it moves the order on, a fill once; the bus never fails an order.

    ``start`` follows the inner gateway's order stream, reconnecting with jittered backoff; ``close`` stops it first.
    """

    def __init__(
        self,
        inner: ExchangeGateway,
        bus: Bus,
        clock: Clock,
        *,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self._inner = inner
        self._bus = bus
        self._clock = clock
        self._reconnect_min_s = reconnect_min_s
        self._reconnect_max_s = reconnect_max_s
        self._rng = rng or random.Random()
        self._states: OrderedDict[str, tuple[OrderState, Decimal]] = OrderedDict()
        self._fills: OrderedDict[str, None] = OrderedDict()
        self._stream_task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def streaming(self) -> bool:
        """Whether the order stream is being followed (connected or reconnecting)."""
        return self._stream_task is not None and not self._stream_task.done()

    async def start(self) -> None:
        """Follow the inner gateway's order stream in the background, if it has one; a second call does nothing."""
        if self._stream_task is None and isinstance(self._inner, OrderUpdateStream):
            self._stream_task = asyncio.create_task(self._follow(self._inner), name=f"order-stream {self.name}")

    async def load_instruments(self) -> Sequence[Instrument]:
        return await self._inner.load_instruments()

    def instrument(self, category: Category, symbol: str) -> Instrument:
        return self._inner.instrument(category, symbol)

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        try:
            result = await self._inner.place_order(intent)
        except OrderRejected as exc:
            rejected = OrderUpdate(
                OrderEventKind.STATE, self.name, intent.category, intent.symbol, intent.client_order_id,
                self._clock.now_ns(), side=intent.side, state=OrderState.REJECTED, qty=intent.qty,
                price=intent.price, reject_reason=exc.reason,
            )  # fmt: skip
            await self._publish(rejected)
            raise
        await self._state(intent.category, result)
        return result

    async def cancel_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult:
        result = await self._inner.cancel_order(category, symbol, client_order_id)
        await self._state(category, result)
        return result

    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None:
        result = await self._inner.fetch_order(category, symbol, client_order_id, since_ns=since_ns)
        if result is not None:
            await self._state(category, result)
        return result

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]:
        return await self._inner.fetch_open_orders(category, symbol)

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        fills = await self._inner.fetch_fills(category, symbol, client_order_id=client_order_id, since_ns=since_ns)
        for fill in fills:
            await self._fill(category, fill)
        return fills

    async def fetch_funding(self, since_ns: int, symbol: str | None = None) -> list[FundingPayment]:
        if not isinstance(self._inner, FundingHistory):
            raise FundingUnsupported(f"{self.name}: this gateway cannot list funding payments")
        return await self._inner.fetch_funding(since_ns, symbol)

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        return await self._inner.fetch_ticker(category, symbol)

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
        return await self._inner.fetch_candles(
            category, symbol, interval, start_ms=start_ms, end_ms=end_ms, limit=limit
        )

    async def fetch_balances(self) -> dict[str, Balance]:
        return await self._inner.fetch_balances()

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        return await self._inner.fetch_positions(category)

    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult:
        result = await self._inner.amend_order(category, symbol, client_order_id, qty=qty, price=price)
        await self._state(category, result)
        return result

    async def set_protection(self, category: Category, symbol: str, protection: PositionProtection) -> ProtectionOrders:
        return await self._inner.set_protection(category, symbol, protection)

    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool:
        return await self._inner.cancel_protection(category, symbol, orders)

    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None:
        await self._inner.set_leverage(category, symbol, leverage)

    async def close(self) -> None:
        task, self._stream_task = self._stream_task, None
        await cancel_and_wait(task)
        await self._inner.close()

    async def _follow(self, stream: OrderUpdateStream) -> None:
        """Publish every pushed update; reconnect after a broken connection, stop for good after a refusal."""
        attempt = 0
        while True:
            try:
                updates = stream.order_updates()
                try:
                    async for event in updates:
                        attempt = 0
                        await self._take(event)
                finally:
                    if isinstance(updates, AsyncGenerator):  # close its connection now, not when it is collected
                        await updates.aclose()
                log.warning("gateway.order_stream_ended", exchange=self.name)
            except OrderStreamUnsupported as exc:
                log.info("gateway.order_stream_unsupported", exchange=self.name, reason=str(exc))
                return
            except OrderStreamRefused as exc:
                log.error("gateway.order_stream_refused", exchange=self.name, reason=str(exc))
                return
            except ConnectionError as exc:
                log.warning("gateway.order_stream_lost", exchange=self.name, error=str(exc), attempt=attempt)
            except Exception:  # a bug in one stream must not stop order events for good: log it and reconnect
                log.exception("gateway.order_stream_failed", exchange=self.name, attempt=attempt)
            delay = min(self._reconnect_max_s, self._reconnect_min_s * 2**attempt)
            await self._clock.sleep(delay * (0.5 + self._rng.random()))  # jitter spreads the reconnects of many
            attempt += 1

    async def _take(self, event: OrderUpdateEvent) -> None:
        if isinstance(event.update, ExecutionFill):
            await self._fill(event.category, event.update)
        else:
            await self._state(event.category, event.update)

    async def _state(self, category: Category, result: OrderResult) -> None:
        # Keyed by client id (the exchange's id for an order sent without one). Polled answers and pushed updates
        # arrive in no fixed order, so an update that would move the order back is not published either.
        key = result.client_order_id or result.exchange_order_id
        seen = self._states.get(key)
        if seen is not None and (
            seen == (result.state, result.filled_qty) or seen[0].is_final or result.filled_qty < seen[1]
        ):
            return
        _remember(self._states, key, (result.state, result.filled_qty))
        await self._publish(update_from_result(self.name, category, result, self._clock.now_ns()))

    async def _fill(self, category: Category, fill: ExecutionFill) -> None:
        if fill.trade_id in self._fills:
            return
        _remember(self._fills, fill.trade_id, None)
        await self._publish(update_from_fill(self.name, category, fill))

    async def _publish(self, update: OrderUpdate) -> None:
        try:
            await self._bus.publish(ORDER_EVENT.kind, ORDER_EVENT.encode(update))
        except Exception as exc:  # the order already went out: losing its event must not fail the caller
            log.warning("gateway.order_event_lost", client_order_id=update.client_order_id, error=repr(exc))


def _remember(seen: OrderedDict[str, V], key: str, value: V) -> None:
    seen[key] = value
    seen.move_to_end(key)
    while len(seen) > _REMEMBERED:
        seen.popitem(last=False)
