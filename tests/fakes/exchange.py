"""FakeExchange: the ExchangeGateway port as one quote per instrument; marketable orders fill at once, whole.

Every ``place_order`` call is kept in ``placed``, a repeated client order id too, so a test can count sends;
the quote and the kline history (``candles``) are settable. ``refuse`` (a reason) refuses the next orders,
``lose_answers`` places orders but loses their answers, ``protection_refused`` refuses position protection, and
``protections`` / ``leverages`` keep what was set; ``funding`` is the account's funding history ``fetch_funding``
serves (settable; ``funding_asks`` counts the calls).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from tradewind.application.ports.exchange import (
    ExchangeGateway,
    ExchangeUnavailable,
    FundingHistory,
    OrderNotFound,
    OrderRejected,
    ProtectionUnsupported,
    UnknownInstrument,
    fills_since,
)
from tradewind.domain.candles import Candle
from tradewind.domain.instruments import Instrument, default_instruments
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
from tradewind.domain.values import Category, OrderType, Side, TimeInForce


class FakeExchange:
    """Idempotent by client order id like every gateway: a second send of one id returns the first order."""

    def __init__(
        self,
        name: str = "fake",
        *,
        bid: Decimal | None = Decimal("99990"),
        ask: Decimal | None = Decimal("100010"),
        instruments: Sequence[Instrument] = default_instruments(),
        balances: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.name = name
        # Free funds by coin; by default more than any test job needs, so the funds check passes.
        self.balances = dict(balances) if balances is not None else {"USDT": Decimal(10**9), "BTC": Decimal(10**4)}
        self.bid, self.ask = bid, ask
        self.placed: list[OrderIntent] = []
        self.orders: dict[str, OrderResult] = {}
        self.lookups: list[tuple[str, int | None]] = []  # each fetch_order's client id and since_ns
        self.executions: list[ExecutionFill] = []
        self.loads = 0  # load_instruments calls
        self.candles: list[Candle] = []  # the kline history fetch_candles serves; settable
        self.candle_requests: list[tuple[Category, str, int, int | None, int | None, int]] = []
        self._instruments = {(i.category, i.symbol): i for i in instruments}
        self._ids = itertools.count(1)
        self.refuse: str | None = None
        self.lose_answers = 0  # the next this many orders are placed, but their answer is lost (ExchangeUnavailable)
        self.protection_refused = False
        self.protections: list[tuple[Category, str, PositionProtection]] = []
        self.stops: dict[str, tuple[str, ProtectionOrders, PositionProtection]] = {}  # open partial pairs by TP id
        self.cancelled_stops: list[ProtectionOrders] = []
        self.leverages: list[tuple[Category, str, Decimal]] = []
        self.fee_rate = Decimal(0)  # of the notional, in the quote coin
        self.positions: dict[str, Decimal] = {}  # linear: signed size by symbol, from our fills
        self.funding: list[FundingPayment] = []
        self.funding_asks = 0

    async def load_instruments(self) -> Sequence[Instrument]:
        self.loads += 1
        return tuple(self._instruments.values())

    def instrument(self, category: Category, symbol: str) -> Instrument:
        try:
            return self._instruments[(category, symbol)]
        except KeyError:
            raise UnknownInstrument(f"no {category.value} instrument {symbol!r} on {self.name}") from None

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        self.placed.append(intent)
        if intent.client_order_id in self.orders:
            return self.orders[intent.client_order_id]
        if self.refuse is not None:
            raise OrderRejected(self.refuse, client_order_id=intent.client_order_id)
        intent = intent.rounded(self.instrument(intent.category, intent.symbol))
        touch = self.ask if intent.side is Side.BUY else self.bid
        result = OrderResult(
            intent.client_order_id, f"x-{next(self._ids)}", OrderState.NEW, symbol=intent.symbol, side=intent.side,
            qty=intent.qty, price=intent.price,
        )  # fmt: skip
        if touch is not None and _marketable(intent, touch):  # fills at the touch, as the top of a deep book would
            fee = touch * intent.qty * self.fee_rate
            result = replace(
                result, state=OrderState.FILLED, filled_qty=intent.qty, avg_price=touch, fee=fee, fee_currency="USDT"
            )
            fill = ExecutionFill(
                f"t-{result.exchange_order_id}", intent.client_order_id, touch, intent.qty, fee, "USDT",
                is_maker=False, ts_ns=0, symbol=intent.symbol, side=intent.side,
            )  # fmt: skip
            self.executions.append(fill)
            if intent.category is Category.LINEAR:
                self.positions[intent.symbol] = self.positions.get(intent.symbol, Decimal(0)) + intent.side.sign * (
                    intent.qty
                )
        elif intent.tif is TimeInForce.IOC:
            result = replace(result, state=OrderState.CANCELLED)
        self.orders[intent.client_order_id] = result
        if self.lose_answers > 0:
            self.lose_answers -= 1
            raise ExchangeUnavailable(f"{self.name}: the answer to {intent.client_order_id} was lost")
        return result

    async def cancel_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult:
        order = self.orders.get(client_order_id)
        if order is None:
            raise OrderNotFound(f"no order {client_order_id!r} on {self.name}")
        if not order.is_final:
            order = self.orders[client_order_id] = replace(order, state=OrderState.CANCELLED)
        return order

    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None:
        self.lookups.append((client_order_id, since_ns))
        return self.orders.get(client_order_id)

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]:
        found = [o for o in self.orders.values() if not o.is_final and symbol in (None, o.symbol)]
        for stop_symbol, orders, protection in self.stops.values():  # each open partial pair: two conditional orders
            if symbol in (None, stop_symbol):
                found += [
                    OrderResult("", i, OrderState.NEW, symbol=stop_symbol, side=Side.SELL, qty=protection.size)
                    for i in orders.ids
                ]
        return found

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        fills = [f for f in self.executions if f.symbol == symbol and client_order_id in (None, f.client_order_id)]
        return fills if since_ns is None else fills_since(fills, since_ns)  # the venues' millisecond grain

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        self.instrument(category, symbol)
        last = None if self.bid is None or self.ask is None else (self.bid + self.ask) / 2
        return Ticker(symbol, self.bid, self.ask, last, 0)

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
        self.instrument(category, symbol)
        self.candle_requests.append((category, symbol, interval, start_ms, end_ms, limit))
        window = [
            c
            for c in self.candles
            if c.ref.category is category and c.ref.symbol == symbol and c.interval == interval
            and (start_ms is None or c.start_ms >= start_ms) and (end_ms is None or c.start_ms <= end_ms)
        ]  # fmt: skip
        return sorted(window, key=lambda c: c.start_ms)[-limit:]

    async def fetch_balances(self) -> dict[str, Balance]:
        return {coin: Balance(coin, free, free, Decimal(0)) for coin, free in self.balances.items()}

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        if category is not Category.LINEAR:
            return []
        return [PositionSnapshot(s, category, size, None) for s, size in self.positions.items() if size]

    def stop_out(self, symbol: str, price: Decimal, ts_ns: int) -> None:
        """The exchange's own stops close the linear long of ``symbol`` at ``price`` (fills with no client id): each
        open partial pair by its stop-loss (below its middle) or take-profit order, the rest by the position's."""
        size = self.positions.pop(symbol, Decimal(0))
        for key, (stop_symbol, orders, protection) in list(self.stops.items()):
            if stop_symbol != symbol or size <= 0:
                continue
            del self.stops[key]
            assert protection.size is not None and protection.take_profit and protection.stop_loss
            low = price < (protection.take_profit + protection.stop_loss) / 2
            qty = min(size, protection.size)
            self._stop_fill(symbol, price, qty, ts_ns, orders.stop_loss_id if low else orders.take_profit_id)
            size -= qty
        if size > 0:
            self._stop_fill(symbol, price, size, ts_ns, "")

    def _stop_fill(self, symbol: str, price: Decimal, qty: Decimal, ts_ns: int, order_id: str) -> None:
        fee = price * qty * self.fee_rate
        self.executions.append(
            ExecutionFill(
                f"stop-{next(self._ids)}", "", price, qty, fee, "USDT", False, ts_ns, symbol, Side.SELL, order_id
            )
        )

    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult:
        order = self.orders.get(client_order_id)
        if order is None or order.is_final:
            raise OrderNotFound(f"no open order {client_order_id!r} on {self.name}")
        order = replace(order, qty=order.qty if qty is None else qty, price=order.price if price is None else price)
        self.orders[client_order_id] = order
        return order

    async def set_protection(self, category: Category, symbol: str, protection: PositionProtection) -> ProtectionOrders:
        self.instrument(category, symbol)
        if self.protection_refused or category is Category.SPOT:
            raise ProtectionUnsupported(f"{self.name}: no position protection for {category.value} {symbol}")
        self.protections.append((category, symbol, protection))
        if protection.size is None:
            return ProtectionOrders()
        n = next(self._ids)
        orders = ProtectionOrders(f"ptp-{n}", f"psl-{n}")
        self.stops[orders.take_profit_id] = (symbol, orders, protection)
        return orders

    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool:
        self.instrument(category, symbol)
        self.cancelled_stops.append(orders)
        return self.stops.pop(orders.take_profit_id, None) is not None

    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None:
        self.instrument(category, symbol)
        self.leverages.append((category, symbol, leverage))

    async def fetch_funding(self, since_ns: int, symbol: str | None = None) -> list[FundingPayment]:
        self.funding_asks += 1
        found = [p for p in self.funding if p.ts_ns >= since_ns and (symbol is None or p.symbol == symbol)]
        return sorted(found, key=lambda p: p.ts_ns)

    async def close(self) -> None:
        return None


def _marketable(intent: OrderIntent, touch: Decimal) -> bool:
    if intent.order_type is OrderType.MARKET:
        return True
    if intent.tif is TimeInForce.POST_ONLY or intent.price is None:
        return False
    return intent.price >= touch if intent.side is Side.BUY else intent.price <= touch


_conforms: ExchangeGateway = FakeExchange()
_funding: FundingHistory = FakeExchange()
