"""SimGateway: the ExchangeGateway port over the in-process SimVenue, one account, no network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import structlog

from tradewind.application.ports.exchange import (
    ExchangeError,
    OrderNotFound,
    OrderRejected,
    OrderUpdateEvent,
    ProtectionUnsupported,
    UnknownInstrument,
)
from tradewind.application.venue import (
    Execution,
    ExecutionEvent,
    MarketUnit,
    Order,
    OrderEvent,
    OrderRef,
    OrderRequest,
    RejectCode,
    SimVenue,
    TransactionType,
    VenueError,
    VenueEvent,
    VenueOrderStatus,
)
from tradewind.application.venue.account import VenueAccount
from tradewind.domain.candles import Candle, bybit_interval
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import InstrumentRef
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
from tradewind.domain.values import Category, OrderType

log = structlog.get_logger(__name__)

_STATES = {
    VenueOrderStatus.NEW: OrderState.NEW,
    VenueOrderStatus.PARTIALLY_FILLED: OrderState.PARTIALLY_FILLED,
    VenueOrderStatus.FILLED: OrderState.FILLED,
    VenueOrderStatus.CANCELLED: OrderState.CANCELLED,
    VenueOrderStatus.PARTIALLY_FILLED_CANCELED: OrderState.CANCELLED,
    VenueOrderStatus.REJECTED: OrderState.REJECTED,
    VenueOrderStatus.UNTRIGGERED: OrderState.NEW,
    VenueOrderStatus.TRIGGERED: OrderState.NEW,
    VenueOrderStatus.DEACTIVATED: OrderState.CANCELLED,
}


def order_result(order: Order) -> OrderResult:
    """The venue's order record as the port's typed result."""
    state = _STATES[order.status]
    filled = order.cum_exec_qty
    return OrderResult(
        client_order_id=order.order_link_id,
        exchange_order_id=order.order_id,
        state=state,
        filled_qty=filled,
        avg_price=order.avg_price if filled else None,
        fee=order.cum_exec_fee,
        fee_currency=order.fee_coin,
        reject_reason=order.reject_reason.value if state is OrderState.REJECTED else None,
        symbol=order.symbol,
        side=order.side,
        qty=order.leaves_qty + filled if order.market_unit is MarketUnit.QUOTE else order.qty,
        price=order.price or None,
    )


def execution_fill(e: Execution) -> ExecutionFill:
    """One venue execution as the port's fill."""
    return ExecutionFill(
        e.exec_id, e.order_link_id, e.exec_price, e.exec_qty, e.fee, e.fee_coin, e.is_maker,
        e.exec_time_ms * 1_000_000, e.symbol, e.side, e.order_id,
    )  # fmt: skip


class SimGateway:
    """Trades one venue account (by its API key) directly on the simulator's engines."""

    def __init__(self, venue: SimVenue, api_key: str, name: str = "sim") -> None:
        if venue.account(api_key) is None:
            raise ValueError(f"the simulated venue has no account with api_key {api_key!r}")
        self._venue = venue
        self._key = api_key
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    async def load_instruments(self) -> Sequence[Instrument]:
        return self._venue.instruments()

    def instrument(self, category: Category, symbol: str) -> Instrument:
        try:
            return self._venue.instrument(category, symbol)
        except VenueError:
            raise UnknownInstrument(f"{self._name}: unknown {category.value} symbol {symbol!r}") from None

    async def place_order(self, intent: OrderIntent) -> OrderResult:
        """Round and check the intent, then submit; an already known client id returns that order instead."""
        sent = intent.rounded(self.instrument(intent.category, intent.symbol))
        known = self._find(intent.category, intent.symbol, intent.client_order_id)
        if known is not None:
            return order_result(known)
        unit = MarketUnit.BASE if sent.category is Category.SPOT and sent.order_type is OrderType.MARKET else None
        request = OrderRequest(
            sent.category, sent.symbol, sent.side, sent.order_type, sent.qty, sent.price, sent.tif,
            order_link_id=sent.client_order_id, market_unit=unit, reduce_only=sent.reduce_only,
        )  # fmt: skip
        try:
            order = self._venue.place_order(self._key, request)
        except VenueError as exc:
            raise OrderRejected(f"{exc.code.value}: {exc.message}", client_order_id=intent.client_order_id) from exc
        return order_result(order)

    async def cancel_order(self, category: Category, symbol: str, client_order_id: str) -> OrderResult:
        self.instrument(category, symbol)
        try:
            order = self._venue.cancel_order(self._key, OrderRef(category, symbol, order_link_id=client_order_id))
        except VenueError as exc:
            if exc.code is RejectCode.ORDER_FINISHED:
                known = self._find(category, symbol, client_order_id)
                if known is not None:
                    return order_result(known)
            raise OrderNotFound(f"{self._name}: cannot cancel {client_order_id}: {exc.message}") from exc
        return order_result(order)

    async def fetch_order(
        self, category: Category, symbol: str, client_order_id: str, *, since_ns: int | None = None
    ) -> OrderResult | None:
        """The venue keeps every order in process: ``since_ns`` narrows nothing."""
        self.instrument(category, symbol)
        order = self._find(category, symbol, client_order_id)
        return None if order is None else order_result(order)

    async def fetch_open_orders(self, category: Category, symbol: str | None = None) -> list[OrderResult]:
        account = self._account()
        return [
            order_result(o)
            for o in account.orders_newest_first(open_only=True)
            if o.category is category and (symbol is None or o.symbol == symbol)
        ]

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        since_ms = None if since_ns is None else since_ns // 1_000_000
        return [
            execution_fill(e)
            for e in self._account().executions
            if e.category is category
            and e.symbol == symbol
            and (client_order_id is None or e.order_link_id == client_order_id)
            and (since_ms is None or e.exec_time_ms >= since_ms)
        ]

    async def fetch_ticker(self, category: Category, symbol: str) -> Ticker:
        inst = self.instrument(category, symbol)
        engine = self._venue.engine(category, symbol)
        bid, ask = engine.best_bid(), engine.best_ask()
        return Ticker(
            symbol,
            None if bid is None else inst.ticks_to_price(bid),
            None if ask is None else inst.ticks_to_price(ask),
            self._venue.tape(category, symbol).last_price,
            self._venue.clock.now_ns(),
        )

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
        """The venue tape's klines (what its ``/v5/market/kline`` serves), oldest first."""
        self.instrument(category, symbol)
        ref = InstrumentRef(self._name, category, symbol)
        bars = self._venue.tape(category, symbol).klines(bybit_interval(interval), start_ms, end_ms, limit)
        return [
            Candle(ref, interval, b.start_ms, b.open, b.high, b.low, b.close, b.volume, b.turnover, 0)
            for b in reversed(bars)
        ]

    async def fetch_balances(self) -> dict[str, Balance]:
        wallet = self._venue.wallet_view(self._key)
        return {c.coin: Balance(c.coin, c.balance, c.available, c.balance - c.available) for c in wallet.coins}

    async def fetch_positions(self, category: Category) -> list[PositionSnapshot]:
        if category is not Category.LINEAR:
            return []
        return [
            PositionSnapshot(
                p.symbol,
                Category.LINEAR,
                p.size * (p.side.sign if p.side else 0),
                p.avg_price or None,
                p.unrealised_pnl,
                p.mark_price,
            )
            for p in self._venue.positions(self._key)
        ]

    async def amend_order(
        self,
        category: Category,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderResult:
        """Amend an open order on the venue (qty floored to the lot grid, price rounded to the tick grid)."""
        inst = self.instrument(category, symbol)
        ref = OrderRef(category, symbol, order_link_id=client_order_id)
        try:
            order = self._venue.amend_order(
                self._key, ref,
                qty=None if qty is None else inst.floor_qty(qty),
                price=None if price is None else inst.round_price(price),
            )  # fmt: skip
        except VenueError as exc:
            if exc.code in (RejectCode.ORDER_NOT_FOUND, RejectCode.ORDER_FINISHED):
                raise OrderNotFound(f"{self._name}: cannot amend {client_order_id}: {exc.message}") from exc
            raise OrderRejected(f"{exc.code.value}: {exc.message}", client_order_id=client_order_id) from exc
        return order_result(order)

    async def set_protection(self, category: Category, symbol: str, protection: PositionProtection) -> ProtectionOrders:
        """The venue's position TP / SL / trailing stop (``/v5/position/trading-stop``); with a size, a partial pair
        of conditional orders whose ids come back. Spot has none."""
        if category is not Category.LINEAR:
            raise ProtectionUnsupported(f"{self._name}: {category.value} has no position protection")
        self.instrument(category, symbol)
        try:
            if protection.size is not None:
                tp, sl = self._venue.add_partial_stop(
                    self._key, symbol, take_profit=protection.take_profit, stop_loss=protection.stop_loss,
                    size=protection.size,
                )  # fmt: skip
                return ProtectionOrders("" if tp is None else tp.order_id, "" if sl is None else sl.order_id)
            self._venue.set_trading_stop(
                self._key, symbol, take_profit=protection.take_profit, stop_loss=protection.stop_loss,
                trailing_stop=protection.trailing_stop,
            )  # fmt: skip
        except VenueError as exc:
            raise ProtectionUnsupported(f"{self._name}: {symbol} protection refused: {exc.message}") from exc
        return ProtectionOrders()

    async def cancel_protection(self, category: Category, symbol: str, orders: ProtectionOrders) -> bool:
        """Cancel the partial TP / SL orders by their ids; False when one had fired or ended already."""
        self.instrument(category, symbol)
        all_open = True
        for order_id in orders.ids:
            try:
                self._venue.cancel_order(self._key, OrderRef(category, symbol, order_id=order_id))
            except VenueError as exc:
                if exc.code not in (RejectCode.ORDER_NOT_FOUND, RejectCode.ORDER_FINISHED):
                    raise OrderRejected(f"{exc.code.value}: {exc.message}") from exc
                all_open = False
        return all_open

    async def set_leverage(self, category: Category, symbol: str, leverage: Decimal) -> None:
        if category is not Category.LINEAR:
            raise ExchangeError(f"{self._name}: {category.value} has no leverage")
        self.instrument(category, symbol)
        try:
            self._venue.set_leverage(self._key, symbol, leverage)
        except VenueError as exc:
            if exc.code is not RejectCode.LEVERAGE_NOT_MODIFIED:
                raise OrderRejected(f"{exc.code.value}: {exc.message}") from exc

    async def fetch_funding(self, since_ns: int, symbol: str | None = None) -> list[FundingPayment]:
        """The account's SETTLEMENT rows (what ``/v5/account/transaction-log`` serves), oldest first."""
        since_ms = since_ns // 1_000_000
        return [
            FundingPayment(t.transaction_id, self._name, t.category, t.symbol, t.funding, t.ts_ms * 1_000_000)
            for t in self._account().transactions
            if t.type is TransactionType.SETTLEMENT and t.ts_ms >= since_ms and (symbol is None or t.symbol == symbol)
        ]

    async def order_updates(self) -> AsyncIterator[OrderUpdateEvent]:
        """This account's order states and executions as the venue reports them, until cancelled."""
        queue: asyncio.Queue[OrderUpdateEvent] = asyncio.Queue()  # unbounded: the venue's caller must never block

        def on_events(events: Sequence[VenueEvent]) -> None:
            for event in events:
                if event.account != self._key:  # the venue reports every account; only this one is ours
                    continue
                try:
                    if isinstance(event, ExecutionEvent):
                        queue.put_nowait(OrderUpdateEvent(event.execution.category, execution_fill(event.execution)))
                    elif isinstance(event, OrderEvent):
                        queue.put_nowait(OrderUpdateEvent(event.order.category, order_result(event.order)))
                except Exception:  # a mapping bug must never fail the venue operation that reported it
                    log.exception("sim_gateway.order_update_unmapped", exchange=self._name)

        unsubscribe = self._venue.subscribe(on_events)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    async def close(self) -> None:
        return None

    def _account(self) -> VenueAccount:
        account = self._venue.account(self._key)
        assert account is not None
        return account

    def _find(self, category: Category, symbol: str, client_order_id: str) -> Order | None:
        order = self._account().find_order(order_link_id=client_order_id)
        if order is None or order.category is not category or order.symbol != symbol:
            return None
        return order
