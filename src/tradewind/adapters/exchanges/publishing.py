"""PublishingGateway: any ExchangeGateway, publishing ``order.event`` for each state and fill of our orders."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TypeVar

import structlog

from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway, OrderRejected
from tradewind.domain.instruments import Instrument
from tradewind.domain.order_events import (
    ORDER_TOPIC,
    OrderEventKind,
    OrderUpdate,
    order_update_to_payload,
    update_from_fill,
    update_from_result,
)
from tradewind.domain.orders import (
    Balance,
    ExecutionFill,
    OrderIntent,
    OrderResult,
    OrderState,
    PositionSnapshot,
    Ticker,
)
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)

V = TypeVar("V")
_REMEMBERED = 10_000  # orders / fills whose last published state is kept to skip repeats


class PublishingGateway:
    """Delegates every call; a state is published when it changes, a fill once. The bus never fails an order."""

    def __init__(self, inner: ExchangeGateway, bus: Bus, clock: Clock) -> None:
        self._inner = inner
        self._bus = bus
        self._clock = clock
        self._states: OrderedDict[str, tuple[OrderState, str]] = OrderedDict()
        self._fills: OrderedDict[str, None] = OrderedDict()

    @property
    def name(self) -> str:
        return self._inner.name

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

    async def fetch_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult | None:
        result = await self._inner.fetch_order(category, symbol, client_order_id)
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
            if fill.trade_id not in self._fills:
                _remember(self._fills, fill.trade_id, None)
                await self._publish(update_from_fill(self.name, category, fill))
        return fills

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        return await self._inner.fetch_ticker(category, symbol)

    async def fetch_balances(self) -> dict[str, Balance]:
        return await self._inner.fetch_balances()

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        return await self._inner.fetch_positions(category)

    async def close(self) -> None:
        await self._inner.close()

    async def _state(self, category: Category, result: OrderResult) -> None:
        key = (result.state, str(result.filled_qty))
        if self._states.get(result.client_order_id) == key:
            return
        _remember(self._states, result.client_order_id, key)
        await self._publish(update_from_result(self.name, category, result, self._clock.now_ns()))

    async def _publish(self, update: OrderUpdate) -> None:
        try:
            await self._bus.publish(ORDER_TOPIC, order_update_to_payload(update))
        except Exception as exc:  # the order already went out: losing its event must not fail the caller
            log.warning("gateway.order_event_lost", client_order_id=update.client_order_id, error=repr(exc))


def _remember(seen: OrderedDict[str, V], key: str, value: V) -> None:
    seen[key] = value
    seen.move_to_end(key)
    while len(seen) > _REMEMBERED:
        seen.popitem(last=False)
