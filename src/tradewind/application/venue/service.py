"""SimVenue: Bybit-style unified accounts trading on the simulator's matching engines.

Requests are validated in full first (``rules``), so a refused one changes nothing; then the engine
is called and its Report applied (``flow``); each operation's events go out as one batch (``journal``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from tradewind.application.ports.clock import Clock
from tradewind.application.venue.account import VenueAccount
from tradewind.application.venue.events import FillSplitter, ReportListener, VenueListener
from tradewind.application.venue.flow import OrderFlow, uuid_id
from tradewind.application.venue.journal import EventJournal
from tradewind.application.venue.model import (
    MarketUnit,
    NoFillReason,
    Order,
    OrderRef,
    OrderRequest,
    PositionView,
    RejectCode,
    VenueError,
    VenueOrderStatus,
    WalletView,
)
from tradewind.application.venue.rules import plan_amend, plan_order
from tradewind.application.venue.settings import VenueSettings
from tradewind.application.venue.settlement import Settlement
from tradewind.application.venue.tape import MarketTape
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.matching.events import OrderStatus, RejectReason, Report
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import ZERO, PositionRuleError, Protection

_ORDER_NS = 0x0  # uuid namespaces (top bits) keep order and execution ids apart
_EXEC_NS = 0xE
_LEVERAGE_STEP = Decimal("0.01")


class UnknownAccount(KeyError):
    """No account has this API key."""


class SimVenue:
    """Accounts, orders, fills, fees and positions in front of one MatchingEngine per market."""

    def __init__(self, engines: Iterable[MatchingEngine], clock: Clock, settings: VenueSettings) -> None:
        self.clock = clock
        self.settings = settings
        self._engines: dict[tuple[Category, str], MatchingEngine] = {}
        tapes: dict[tuple[Category, str], MarketTape] = {}
        for engine in engines:
            key = (engine.instrument.category, engine.instrument.symbol)
            if key in self._engines:
                raise ValueError(f"two engines for {engine.instrument.key}")
            self._engines[key] = engine
            tapes[key] = MarketTape(settings.kline_minutes, settings.recent_trades)
        self._tapes = tapes
        self._accounts = {
            acc.api_key: VenueAccount(acc, n, settings.default_leverage, settings.history_size)
            for n, acc in enumerate(settings.accounts, start=1)
        }
        self._journal = EventJournal(self._position_of, self._wallet_of)
        settlement = Settlement({c: f.rates() for c, f in settings.fees.items()}, lambda n: uuid_id(_EXEC_NS, n))
        self._flow = OrderFlow(self._accounts, tapes, settlement, self._journal, clock)
        self._order_counter = 0

    # --- wiring -----------------------------------------------------------------------------------

    def subscribe(self, listener: VenueListener) -> Callable[[], None]:
        """Call ``listener`` once per operation with its events (executions, orders, positions, wallets)."""
        return self._journal.subscribe(listener)

    def add_report_listener(self, listener: ReportListener) -> Callable[[], None]:
        """Call ``listener`` with every Report of an operation the venue itself made on an engine."""
        self._flow.report_listeners.append(listener)

        def remove() -> None:
            if listener in self._flow.report_listeners:
                self._flow.report_listeners.remove(listener)

        return remove

    def set_fill_splitter(self, splitter: FillSplitter | None) -> None:
        """Cut each fill of a venue account's taker order into several executions (a fault), or stop (None)."""
        self._flow.fill_splitter = splitter

    def on_engine_report(self, instrument: Instrument, report: Report) -> None:
        """Take in the Report of an operation someone else (the trader swarm) made on one of these engines."""
        inst = self.instrument(instrument.category, instrument.symbol)
        self._journal.begin()
        try:
            self._flow.apply(inst, report, None, notify=False)
        finally:
            self._end()

    # --- lookups ----------------------------------------------------------------------------------

    def instruments(self, category: Category | None = None) -> list[Instrument]:
        return [e.instrument for (c, _), e in self._engines.items() if category is None or c is category]

    def engine(self, category: Category, symbol: str) -> MatchingEngine:
        engine = self._engines.get((category, symbol))
        if engine is None:
            raise VenueError(RejectCode.UNKNOWN_SYMBOL, f"unknown {category.value} symbol {symbol!r}", category)
        return engine

    def instrument(self, category: Category, symbol: str) -> Instrument:
        return self.engine(category, symbol).instrument

    def tape(self, category: Category, symbol: str) -> MarketTape:
        self.engine(category, symbol)
        return self._tapes[(category, symbol)]

    def account(self, api_key: str) -> VenueAccount | None:
        return self._accounts.get(api_key)

    def accounts(self) -> list[VenueAccount]:
        return list(self._accounts.values())

    def last_price(self, category: Category, symbol: str) -> Decimal | None:
        """Last trade price, else the mid, else None; the venue marks positions to it."""
        last = self.tape(category, symbol).last_price
        return last if last is not None else self.engine(category, symbol).mid()

    def coin_price(self, coin: str) -> Decimal | None:
        """Price of one ``coin`` in USDT, from its spot market, else its perpetual."""
        for category in (Category.SPOT, Category.LINEAR):
            if (category, f"{coin}USDT") in self._engines:
                price = self.last_price(category, f"{coin}USDT")
                if price is not None:
                    return price
        return None

    # --- orders -----------------------------------------------------------------------------------

    def place_order(self, api_key: str, req: OrderRequest) -> Order:
        """Validate, lock funds, submit and settle any fills; raises VenueError (changing nothing) if refused."""
        account = self._account(api_key)
        engine = self.engine(req.category, req.symbol)
        inst = engine.instrument
        if account.open_count(inst.category, inst.symbol) >= self.settings.max_open_orders:
            raise VenueError(
                RejectCode.TOO_MANY_ORDERS,
                f"{inst.symbol}: {self.settings.max_open_orders} open orders is the limit",
                inst.category,
            )
        now_ns = self.clock.now_ns()
        now_ms = now_ns // 1_000_000
        plan = plan_order(account, engine, req, self.last_price(inst.category, inst.symbol), now_ms)
        self._journal.begin()
        try:
            if plan.lock_coin:
                account.wallet.lock(plan.lock_coin, plan.lock_amount, account.reserved(plan.lock_coin))
            self._order_counter += 1
            base_qty = inst.lots_to_qty(plan.lots)
            unit = req.market_unit
            if inst.category is Category.SPOT and req.order_type is OrderType.MARKET and unit is None:
                unit = MarketUnit.QUOTE if req.side is Side.BUY else MarketUnit.BASE
            order = Order(
                order_id=uuid_id(_ORDER_NS, self._order_counter),
                order_link_id=req.order_link_id,
                account=account.api_key,
                instrument=inst,
                side=req.side,
                order_type=req.order_type,
                tif=req.tif,
                qty=req.qty if unit is MarketUnit.QUOTE else base_qty,
                price=req.price if req.price is not None else ZERO,
                market_unit=unit,
                status=VenueOrderStatus.NEW,
                leaves_qty=base_qty,
                stop_kind=req.stop_kind,
                take_profit=req.take_profit,
                stop_loss=req.stop_loss,
                reduce_only=req.reduce_only or req.close_on_trigger,
                close_on_trigger=req.close_on_trigger,
                created_ms=now_ms,
                updated_ms=now_ms,
                lock_coin=plan.lock_coin,
                lock_left=plan.lock_amount,
            )
            self._flow.open(account, order)
            if plan.lots == 0:
                self._flow.close(account, order, VenueOrderStatus.CANCELLED, reject=NoFillReason.NO_IMMEDIATE_FILL)
            else:
                report = engine.submit(order.order_id, req.side, req.order_type, plan.lots, plan.ticks, req.tif, now_ns)
                self._flow.apply(inst, report, account, notify=True)
            return self._latest(account, order.order_id)
        finally:
            self._end()

    def amend_order(
        self,
        api_key: str,
        ref: OrderRef,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
    ) -> Order:
        """Change an open order's total qty and/or price (and linear TP / SL); ``0`` removes a TP / SL."""
        account = self._account(api_key)
        order = self._open_order(account, ref)
        inst = order.instrument
        plan = plan_amend(account, order, qty=qty, price=price, take_profit=take_profit, stop_loss=stop_loss)
        now_ns = self.clock.now_ns()
        self._journal.begin()
        try:
            self._shift_lock(account, order.lock_coin, plan.lock_delta)
            amended = replace(plan.order, updated_ms=now_ns // 1_000_000)
            if not plan.book_change:
                self._flow.update(account, amended)
                return amended
            report = self.engine(inst.category, inst.symbol).amend(
                order.order_id,
                price=inst.price_to_ticks(amended.price) if amended.price != order.price else None,
                qty=inst.qty_to_lots(amended.leaves_qty) if amended.leaves_qty != order.leaves_qty else None,
                ts=now_ns,
            )
            if report.status is OrderStatus.REJECTED:
                self._shift_lock(account, order.lock_coin, -plan.lock_delta)
                raise _amend_rejected(report.reason, inst.category)
            self._flow.update(account, amended)
            self._flow.apply(inst, report, account, notify=True)
            return self._latest(account, order.order_id)
        finally:
            self._end()

    def cancel_order(self, api_key: str, ref: OrderRef) -> Order:
        """Cancel one open order and release what it held."""
        account = self._account(api_key)
        order = self._open_order(account, ref)
        self._journal.begin()
        try:
            return self._flow.cancel(self.engine(order.category, order.symbol), account, order)
        finally:
            self._end()

    def cancel_all(
        self, api_key: str, category: Category, symbol: str = "", base_coin: str = "", settle_coin: str = ""
    ) -> list[Order]:
        """Cancel every open order of the category, optionally narrowed to a symbol, base or settle coin."""
        account = self._account(api_key)
        if symbol:
            self.engine(category, symbol)
        victims = [
            o
            for o in account.orders_newest_first(open_only=True)
            if o.category is category
            and (not symbol or o.symbol == symbol)
            and (not base_coin or o.instrument.base == base_coin)
            and (not settle_coin or o.instrument.quote == settle_coin)
        ]
        self._journal.begin()
        try:
            return [self._flow.cancel(self.engine(category, o.symbol), account, o) for o in victims]
        finally:
            self._end()

    # --- positions and wallet ---------------------------------------------------------------------

    def set_leverage(self, api_key: str, symbol: str, leverage: Decimal) -> PositionView:
        """Set the leverage of a linear symbol; the position's and orders' initial margin follow it."""
        account = self._account(api_key)
        inst = self.instrument(Category.LINEAR, symbol)
        cat = inst.category
        if not Decimal(1) <= leverage <= self.settings.max_leverage or leverage % _LEVERAGE_STEP:
            raise VenueError(
                RejectCode.INVALID_PARAM,
                f"leverage must be between 1 and {self.settings.max_leverage} in steps of 0.01, got {leverage}",
                cat,
            )
        now_ms = self.clock.now_ms()
        record = account.position(symbol, now_ms)
        old = record.position.leverage
        if leverage == old:
            raise VenueError(RejectCode.LEVERAGE_NOT_MODIFIED, f"{symbol}: leverage is already {leverage}", cat)
        available_before = account.available(inst.quote)
        record.position.leverage = leverage
        account.margin_changed(symbol)
        if account.available(inst.quote) < min(available_before, ZERO):
            record.position.leverage = old
            account.margin_changed(symbol)
            raise VenueError(
                RejectCode.INSUFFICIENT_BALANCE, f"{symbol}: not enough margin for leverage {leverage}", cat
            )
        self._journal.begin()
        try:
            record.updated_ms = now_ms
            self._journal.position(account, symbol)
        finally:
            self._end()
        return self.position_view(api_key, symbol)

    def set_trading_stop(
        self,
        api_key: str,
        symbol: str,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
        trailing_stop: Decimal | None = None,
        active_price: Decimal | None = None,
    ) -> PositionView:
        """Set TP / SL / trailing stop of a linear position; ``None`` keeps a value, ``0`` removes it."""
        account = self._account(api_key)
        inst = self.instrument(Category.LINEAR, symbol)
        record = account.position(symbol, self.clock.now_ms())
        pos = record.position
        old = pos.protection
        for name, value in (("takeProfit", take_profit), ("stopLoss", stop_loss), ("activePrice", active_price)):
            if value:
                try:
                    inst.price_to_ticks(value)
                except FilterError as exc:
                    raise VenueError(RejectCode.PRICE_TICK, f"{name}: {exc}", inst.category) from exc
        protection = Protection(
            _merged(take_profit, old.take_profit),
            _merged(stop_loss, old.stop_loss),
            _merged(trailing_stop, old.trailing_stop),
            _merged(active_price, old.active_price),
        )
        try:
            pos.set_protection(protection, self.last_price(Category.LINEAR, symbol))
        except PositionRuleError as exc:
            code = RejectCode.ZERO_POSITION if pos.side is None else RejectCode.TPSL_INVALID
            raise VenueError(code, str(exc), inst.category) from exc
        self._journal.begin()
        try:
            record.updated_ms = self.clock.now_ms()
            self._journal.position(account, symbol)
        finally:
            self._end()
        return self.position_view(api_key, symbol)

    def position_view(self, api_key: str, symbol: str) -> PositionView:
        self.instrument(Category.LINEAR, symbol)
        return self._position_of(self._account(api_key), symbol)

    def positions(self, api_key: str, symbol: str = "") -> list[PositionView]:
        """The symbol's position (even when flat), or every open linear position."""
        account = self._account(api_key)
        if symbol:
            return [self.position_view(api_key, symbol)]
        return [self._position_of(account, s) for s, r in account.positions.items() if r.position.size]

    def wallet_view(self, api_key: str) -> WalletView:
        return self._wallet_of(self._account(api_key))

    # --- internals --------------------------------------------------------------------------------

    def _end(self) -> None:
        if not self._journal.end():
            return
        # Stops armed by this operation's trades fire now, each as its own operation.
        while self._flow.triggers:
            account, symbol, kind = self._flow.triggers.popleft()
            pos = account.positions[symbol].position
            if pos.side is None:
                continue
            request = OrderRequest(
                Category.LINEAR,
                symbol,
                pos.side.opposite,
                OrderType.MARKET,
                abs(pos.size),
                close_on_trigger=True,
                stop_kind=kind,
            )
            try:
                self.place_order(account.api_key, request)
            except VenueError:
                continue  # e.g. less than one lot left: nothing a market order can close

    def _position_of(self, account: VenueAccount, symbol: str) -> PositionView:
        return account.position_view(symbol, self.last_price(Category.LINEAR, symbol), self.clock.now_ms())

    def _wallet_of(self, account: VenueAccount) -> WalletView:
        return account.wallet_view(lambda s: self.last_price(Category.LINEAR, s), self.coin_price, self.clock.now_ms())

    def _account(self, api_key: str) -> VenueAccount:
        account = self._accounts.get(api_key)
        if account is None:
            raise UnknownAccount(api_key)
        return account

    def _latest(self, account: VenueAccount, order_id: str) -> Order:
        order = account.find_order(order_id)
        assert order is not None
        return order

    def _shift_lock(self, account: VenueAccount, coin: str, delta: Decimal) -> None:
        if delta > 0:
            account.wallet.lock(coin, delta, account.reserved(coin))
        elif delta < 0:
            account.wallet.unlock(coin, -delta)

    def _open_order(self, account: VenueAccount, ref: OrderRef) -> Order:
        self.engine(ref.category, ref.symbol)
        if not ref.order_id and not ref.order_link_id:
            raise VenueError(RejectCode.INVALID_PARAM, "orderId or orderLinkId is required", ref.category)
        order = account.find_order(ref.order_id, ref.order_link_id)
        if order is None or order.symbol != ref.symbol or order.category is not ref.category:
            which = ref.order_id or ref.order_link_id
            raise VenueError(RejectCode.ORDER_NOT_FOUND, f"order {which} does not exist", ref.category)
        if not order.status.is_open:
            state = order.status.value.replace("_", " ")
            raise VenueError(RejectCode.ORDER_FINISHED, f"order {order.order_id} is {state}", ref.category)
        return order


def _merged(new: Decimal | None, current: Decimal | None) -> Decimal | None:
    if new is None:
        return current
    return None if new == 0 else new


def _amend_rejected(reason: RejectReason | None, category: Category) -> VenueError:
    if reason is RejectReason.NOTHING_TO_AMEND:
        return VenueError(RejectCode.NOT_MODIFIED, "the order already has these values", category)
    if reason is RejectReason.POST_ONLY_WOULD_TAKE:
        return VenueError(RejectCode.INVALID_PARAM, "a PostOnly order cannot be amended to a crossing price", category)
    return VenueError(RejectCode.ORDER_FINISHED, f"the order can no longer be amended ({reason})", category)
