"""SimVenue: Bybit-style unified accounts trading on the simulator's matching engines.

Requests are validated in full first (``rules``), so a refused one changes nothing; then the engine
is called and its Report applied (``flow``); each operation's events go out as one batch (``journal``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from tradewind.application.ports.clock import Clock
from tradewind.application.venue.account import VenueAccount
from tradewind.application.venue.events import FillSplitter, ReportListener, VenueListener, listen
from tradewind.application.venue.flow import OrderFlow, uuid_id
from tradewind.application.venue.journal import EventJournal
from tradewind.application.venue.model import (
    ExecType,
    Execution,
    FundingRecord,
    MarketUnit,
    NoFillReason,
    Order,
    OrderRef,
    OrderRequest,
    PositionView,
    RejectCode,
    Transaction,
    TransactionType,
    VenueError,
    VenueOrderStatus,
    WalletView,
)
from tradewind.application.venue.perp import PerpMarket
from tradewind.application.venue.rules import plan_amend, plan_order
from tradewind.application.venue.settings import MarginMode, VenueSettings
from tradewind.application.venue.settlement import Settlement
from tradewind.application.venue.tape import MarketTape
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.matching.events import OrderStatus, RejectReason, Report
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts import ZERO, PositionRuleError, Protection, StopKind
from tradewind.domain.venue_accounts.perp import (
    bankruptcy_price,
    funding_payment,
    liquidation_price,
    maintenance_margin,
)

FundingListener = Callable[[Instrument, Transaction], None]  # one account's funding settlement
SettlementListener = Callable[[Instrument, FundingRecord, Decimal], None]  # a perpetual's settlement and its mark

_ORDER_NS = 0x0  # uuid namespaces (top bits) keep order and execution ids apart
_EXEC_NS = 0xE
_TXN_NS = 0xF
_BUST_NS = 0xB
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
        taker = settings.fees[Category.LINEAR].taker if Category.LINEAR in settings.fees else ZERO
        self._accounts = {
            acc.api_key: VenueAccount(acc, n, settings.default_leverage, settings.history_size, taker)
            for n, acc in enumerate(settings.accounts, start=1)
        }
        self._journal = EventJournal(self._position_of, self._wallet_of)
        settlement = Settlement({c: f.rates() for c, f in settings.fees.items()}, lambda n: uuid_id(_EXEC_NS, n))
        self._flow = OrderFlow(self._accounts, tapes, settlement, self._journal, clock)
        self._order_counter = 0
        self._perp_params = settings.perp.params()
        self._sample_ms = settings.perp.sample_s * 1_000
        self._perps = {
            symbol: PerpMarket(
                e.instrument, self._perp_params, settings.perp.basis_samples, settings.perp.funding_history
            )
            for (category, symbol), e in self._engines.items()
            if category is Category.LINEAR
        }
        self._funding_listeners: list[FundingListener] = []
        self._settlement_listeners: list[SettlementListener] = []
        self._txn_counter = 0
        self._bust_counter = 0

    # --- wiring -----------------------------------------------------------------------------------

    def subscribe(self, listener: VenueListener) -> Callable[[], None]:
        """Call ``listener`` once per operation with its events (executions, orders, positions, wallets)."""
        return self._journal.subscribe(listener)

    def add_report_listener(self, listener: ReportListener) -> Callable[[], None]:
        """Call ``listener`` with every Report of an operation the venue itself made on an engine."""
        return listen(self._flow.report_listeners, listener)

    def add_funding_listener(self, listener: FundingListener) -> Callable[[], None]:
        """Call ``listener`` with each account's funding settlement (e.g. to publish ``funding.payment``)."""
        return listen(self._funding_listeners, listener)

    def add_settlement_listener(self, listener: SettlementListener) -> Callable[[], None]:
        """Call ``listener`` with each funding settlement (rate and mark), whether or not an account holds the perp."""
        return listen(self._settlement_listeners, listener)

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

    def mark_price(self, symbol: str) -> Decimal | None:
        """The perpetual's mark price (after its first sample), else its last price: positions are marked to it."""
        perp = self._perps.get(symbol)
        if perp is not None and perp.mark is not None:
            return perp.mark
        return self.last_price(Category.LINEAR, symbol)

    def index_price(self, symbol: str) -> Decimal | None:
        """The spot price of the perpetual's base (its spot market here), else its own mid or last price."""
        inst = self.instrument(Category.LINEAR, symbol)
        spot = (Category.SPOT, f"{inst.base}{inst.quote}")
        if spot in self._engines:
            price = self._engines[spot].mid()
            if price is None:
                price = self._tapes[spot].last_price
            if price is not None:
                return price
        mid = self._engines[(Category.LINEAR, symbol)].mid()
        return mid if mid is not None else self._tapes[(Category.LINEAR, symbol)].last_price

    def funding_rate(self, symbol: str) -> Decimal:
        """The rate the coming settlement pays so far (``fundingRate`` of the tickers)."""
        self.instrument(Category.LINEAR, symbol)
        return self._perps[symbol].predicted_rate()

    def next_funding_time(self, symbol: str) -> int:
        self.instrument(Category.LINEAR, symbol)
        return self._perps[symbol].funding_time(self.clock.now_ms())

    def funding_history(
        self, symbol: str, start_ms: int | None = None, end_ms: int | None = None, limit: int = 200
    ) -> list[FundingRecord]:
        """Settled rates of the symbol in [start_ms, end_ms], newest first."""
        self.instrument(Category.LINEAR, symbol)
        out: list[FundingRecord] = []
        for record in reversed(self._perps[symbol].history):
            if end_ms is not None and record.ts_ms > end_ms:
                continue
            if start_ms is not None and record.ts_ms < start_ms:
                break
            out.append(record)
            if len(out) >= limit:
                break
        return out

    @property
    def funding_interval_ms(self) -> int:
        return self._perp_params.interval_ms

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
                tpsl_partial=req.tpsl_partial,
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

    def set_margin_mode(self, api_key: str, mode: MarginMode) -> None:
        """Switch the account between isolated and cross margin; refused while it holds linear positions or orders."""
        account = self._account(api_key)
        if mode is account.margin_mode:
            return
        busy = sorted({s for s, r in account.positions.items() if r.position.size})
        busy += sorted({o.symbol for o in account.open_orders.values() if o.category is Category.LINEAR} - set(busy))
        if busy:
            raise VenueError(
                RejectCode.MARGIN_MODE_LOCKED,
                f"close the linear positions and orders of {', '.join(busy)} before switching to {mode.value}",
                Category.LINEAR,
            )
        account.margin_mode = mode

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

    # --- perpetuals: marks, funding, liquidation ----------------------------------------------------

    def tick(self) -> None:
        """Advance the perpetuals to the clock: sample premium and mark, settle funding when due, liquidate.

        Called each second by the venue's clock task; only the venue's accounts change, never a book.
        """
        now_ms = self.clock.now_ms()
        for perp in self._perps.values():
            due = perp.funding_time(now_ms)
            sample = perp.next_sample_ms is None or now_ms >= perp.next_sample_ms
            self._observe(perp, now_ms, sample=sample)
            if sample:
                perp.next_sample_ms = now_ms - now_ms % self._sample_ms + self._sample_ms
            if now_ms >= due:
                self._settle_funding(perp, due)
                if now_ms >= perp.funding_time(now_ms):  # the clock jumped several intervals: restart from now
                    perp.next_funding_ms = None
        for account in self._accounts.values():
            if any(r.position.size for r in account.positions.values()):
                self._liquidate_if_due(account, now_ms)

    def _observe(self, perp: PerpMarket, now_ms: int, *, sample: bool) -> None:
        engine = self._engines[(Category.LINEAR, perp.symbol)]
        index = self.index_price(perp.symbol)
        if index is None:
            return  # no price anywhere yet
        inst = engine.instrument
        bid, ask = engine.best_bid(), engine.best_ask()
        perp.observe(
            now_ms,
            index,
            None if bid is None else inst.ticks_to_price(bid),
            None if ask is None else inst.ticks_to_price(ask),
            self._tapes[(Category.LINEAR, perp.symbol)].last_price,
            sample=sample,
        )

    def _settle_funding(self, perp: PerpMarket, ts_ms: int) -> None:
        """Every position pays (or receives) size x mark x rate in the settle coin, logged as SETTLEMENT."""
        rate = perp.settle(ts_ms)
        mark = self.mark_price(perp.symbol)
        inst = perp.instrument
        if mark is None:
            return
        settled: list[Transaction] = []
        self._journal.begin()
        try:
            for account in self._accounts.values():
                record = account.positions.get(perp.symbol)
                if record is None or not record.position.size:
                    continue
                pos = record.position
                paid = funding_payment(pos.size, mark, rate)
                account.wallet.settle(inst.quote, -paid)
                pos.charge_fee(paid)  # Bybit counts funding in the realised PnL
                record.updated_ms = ts_ms
                txn = self._transaction(
                    account, TransactionType.SETTLEMENT, inst, side=pos.side, size=pos.size, price=mark, ts_ms=ts_ms,
                    funding=-paid, fee_rate=rate, cash_flow=ZERO, change=-paid,
                )  # fmt: skip
                settled.append(txn)
                self._journal.position(account, perp.symbol)
        finally:
            self._end()
        for txn in settled:
            for listener in list(self._funding_listeners):
                listener(inst, txn)
        for settlement_listener in list(self._settlement_listeners):
            settlement_listener(inst, FundingRecord(perp.symbol, rate, ts_ms), mark)

    def _liquidate_if_due(self, account: VenueAccount, now_ms: int) -> None:
        """Isolated: a position whose mark crosses its liquidation price; cross: all, once equity <= maintenance."""
        mmr = self._perp_params.maintenance_rate
        if account.margin_mode is MarginMode.ISOLATED:
            for symbol, record in list(account.positions.items()):
                pos = record.position
                mark = self.mark_price(symbol)
                if not pos.size or mark is None:
                    continue
                long = pos.size > 0
                entry = pos.entry_value / abs(pos.size)
                inst = self.instrument(Category.LINEAR, symbol)
                liq = liquidation_price(entry, long, pos.leverage, mmr, inst.tick_size)
                if mark <= liq if long else mark >= liq:
                    self._bust(account, inst, bankruptcy_price(entry, long, pos.leverage), now_ms)
            return
        upnl = maintenance = ZERO
        marks: dict[str, Decimal] = {}
        for symbol, record in account.positions.items():
            pos = record.position
            mark = self.mark_price(symbol)
            if not pos.size or mark is None:
                continue
            marks[symbol] = mark
            upnl += pos.unrealised_pnl(mark)
            maintenance += maintenance_margin(pos.size, mark, mmr)
        if not marks or account.wallet.balance("USDT") + upnl > maintenance:
            return
        for symbol, mark in marks.items():
            self._bust(account, self.instrument(Category.LINEAR, symbol), mark, now_ms)

    def _bust(self, account: VenueAccount, inst: Instrument, price: Decimal, now_ms: int) -> None:
        """The liquidation engine takes the position over at ``price``, off the book; open orders are cancelled."""
        engine = self._engines[(inst.category, inst.symbol)]
        self._journal.begin()
        try:
            for order in [o for o in account.open_orders.values() if o.instrument.key == inst.key]:
                self._flow.cancel(engine, account, order)
            record = account.position(inst.symbol, now_ms)
            pos = record.position
            side, qty = pos.side, abs(pos.size)
            assert side is not None
            outcome = pos.apply_fill(side.opposite, qty, price)
            account.wallet.settle(inst.quote, outcome.realised_pnl)
            record.updated_ms = now_ms
            self._bust_counter += 1
            execution = Execution(
                exec_id=uuid_id(_BUST_NS, self._bust_counter),
                account=account.api_key, order_id="", order_link_id="", category=inst.category, symbol=inst.symbol,
                side=side.opposite, order_type=OrderType.MARKET, order_price=price, order_qty=qty, leaves_qty=ZERO,
                stop_kind=None, exec_price=price, exec_qty=qty, exec_value=qty * price, exec_time_ms=now_ms,
                is_maker=False, fee=ZERO, fee_rate=ZERO, fee_coin=inst.quote, closed_size=outcome.closed_qty,
                exec_pnl=outcome.realised_pnl, trade_id=0, seq=0, exec_type=ExecType.BUST_TRADE,
            )  # fmt: skip
            account.executions.append(execution)
            self._journal.execution(account, execution)
            self._journal.position(account, inst.symbol)
            self._transaction(
                account, TransactionType.LIQUIDATION, inst, side=side.opposite, size=qty, price=price, ts_ms=now_ms,
                funding=ZERO, fee_rate=ZERO, cash_flow=outcome.realised_pnl, change=outcome.realised_pnl,
            )  # fmt: skip
        finally:
            self._end()

    def _transaction(
        self,
        account: VenueAccount,
        kind: TransactionType,
        inst: Instrument,
        *,
        side: Side | None,
        size: Decimal,
        price: Decimal,
        ts_ms: int,
        funding: Decimal,
        fee_rate: Decimal,
        cash_flow: Decimal,
        change: Decimal,
    ) -> Transaction:
        self._txn_counter += 1
        txn = Transaction(
            transaction_id=uuid_id(_TXN_NS, self._txn_counter),
            account=account.api_key, type=kind, category=inst.category, symbol=inst.symbol, side=side,
            size=abs(size), price=price, funding=funding, fee_rate=fee_rate, cash_flow=cash_flow, change=change,
            cash_balance=account.wallet.balance(inst.quote), coin=inst.quote, ts_ms=ts_ms,
        )  # fmt: skip
        account.transactions.append(txn)
        return txn

    # --- internals --------------------------------------------------------------------------------

    def _end(self) -> None:
        if not self._journal.end():
            return
        # Stops armed by this operation's trades fire now, each as its own operation.
        while self._flow.triggers or self._flow.attachments:
            if self._flow.attachments:
                account, filled = self._flow.attachments.popleft()
                self._attach_partial(account, filled)
                continue
            account, symbol, kind, order_id = self._flow.triggers.popleft()
            if order_id:
                self._fire_partial(account, order_id)
                continue
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

    def _fire_partial(self, account: VenueAccount, order_id: str) -> None:
        """A triggered partial TP / SL goes to the book as a reduce-only market order of its size (at most what the
        position holds), under its own id, so its fills name it."""
        order = account.open_orders.get(order_id)
        if order is None or order.status is not VenueOrderStatus.TRIGGERED:
            return
        inst = order.instrument
        pos = account.position(inst.symbol, self.clock.now_ms()).position
        qty = inst.floor_qty(min(order.qty, pos.closable(order.side)))
        now_ns = self.clock.now_ns()
        self._journal.begin()
        try:
            if qty <= 0:  # nothing of the position left for it (another close came first)
                self._flow.close(account, order, VenueOrderStatus.DEACTIVATED)
                return
            fired = replace(order, status=VenueOrderStatus.NEW, qty=qty, leaves_qty=qty, updated_ms=now_ns // 1_000_000)
            self._flow.update(account, fired)
            engine = self.engine(inst.category, inst.symbol)
            report = engine.submit(
                order.order_id, order.side, OrderType.MARKET, inst.qty_to_lots(qty), None, order.tif, now_ns
            )
            self._flow.apply(inst, report, account, notify=True)
        finally:
            self._end()

    def _attach_partial(self, account: VenueAccount, filled: Order) -> None:
        """An order placed with tpslMode Partial has filled: its TP / SL become a pair of its filled size."""
        with contextlib.suppress(VenueError):  # e.g. the price moved past a level meanwhile: Bybit drops it too
            self.add_partial_stop(
                account.api_key, filled.symbol, take_profit=filled.take_profit, stop_loss=filled.stop_loss,
                size=filled.cum_exec_qty,
            )  # fmt: skip

    def add_partial_stop(
        self,
        api_key: str,
        symbol: str,
        *,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        size: Decimal,
    ) -> tuple[Order | None, Order | None]:
        """Add a partial TP / SL pair of ``size`` to the linear position (``/v5/position/trading-stop`` in Partial
        mode): conditional reduce-only orders beside any others, each closing ``size`` at market when its price
        trades; when one fires the other is deactivated. Returns (take-profit order, stop-loss order)."""
        account = self._account(api_key)
        inst = self.instrument(Category.LINEAR, symbol)
        cat = inst.category
        tp, sl = take_profit or None, stop_loss or None
        if tp is None and sl is None:
            raise VenueError(RejectCode.INVALID_PARAM, "Partial mode needs takeProfit or stopLoss", cat)
        try:
            inst.qty_to_lots(size)
        except FilterError as exc:
            raise VenueError(RejectCode.QTY_STEP, f"tpSize/slSize: {exc}", cat) from exc
        if size <= 0:
            raise VenueError(RejectCode.INVALID_PARAM, f"tpSize/slSize must be positive, got {size}", cat)
        for name, value in (("takeProfit", tp), ("stopLoss", sl)):
            if value is not None:
                try:
                    inst.price_to_ticks(value)
                except FilterError as exc:
                    raise VenueError(RejectCode.PRICE_TICK, f"{name}: {exc}", cat) from exc
        now_ms = self.clock.now_ms()
        pos = account.position(symbol, now_ms).position
        try:
            pos.check_levels(tp, sl, self.last_price(cat, symbol))
        except PositionRuleError as exc:
            code = RejectCode.ZERO_POSITION if pos.side is None else RejectCode.TPSL_INVALID
            raise VenueError(code, str(exc), cat) from exc
        if size > abs(pos.size):
            raise VenueError(
                RejectCode.TPSL_INVALID, f"{symbol}: tpSize/slSize {size} exceed the position's {abs(pos.size)}", cat
            )
        side = pos.side
        assert side is not None
        ids = {}
        for kind, price in ((StopKind.PARTIAL_TAKE_PROFIT, tp), (StopKind.PARTIAL_STOP_LOSS, sl)):
            if price is not None:
                self._order_counter += 1
                ids[kind] = uuid_id(_ORDER_NS, self._order_counter)
        made: dict[StopKind, Order] = {}
        self._journal.begin()
        try:
            for kind, order_id in ids.items():
                other = next((i for k, i in ids.items() if k is not kind), "")
                order = Order(
                    order_id=order_id, order_link_id="", account=account.api_key, instrument=inst, side=side.opposite,
                    order_type=OrderType.MARKET, tif=TimeInForce.IOC, qty=size, price=ZERO, market_unit=None,
                    status=VenueOrderStatus.UNTRIGGERED, leaves_qty=size, stop_kind=kind, reduce_only=True,
                    close_on_trigger=True, created_ms=now_ms, updated_ms=now_ms,
                    trigger_price=tp if kind is StopKind.PARTIAL_TAKE_PROFIT else sl, linked_id=other,
                )  # fmt: skip
                self._flow.open(account, order)
                made[kind] = order
        finally:
            self._end()
        return made.get(StopKind.PARTIAL_TAKE_PROFIT), made.get(StopKind.PARTIAL_STOP_LOSS)

    def _position_of(self, account: VenueAccount, symbol: str) -> PositionView:
        view = account.position_view(symbol, self.mark_price(symbol), self.clock.now_ms())
        if not view.size:
            return view
        mmr = self._perp_params.maintenance_rate
        mm = maintenance_margin(view.size, view.mark_price, mmr)
        if account.margin_mode is not MarginMode.ISOLATED:
            return replace(view, position_mm=mm)
        long, entry = view.side is Side.BUY, view.entry_value / view.size
        tick = self.instrument(Category.LINEAR, symbol).tick_size
        return replace(
            view,
            position_mm=mm,
            liq_price=liquidation_price(entry, long, view.leverage, mmr, tick),
            bust_price=bankruptcy_price(entry, long, view.leverage),
        )

    def _wallet_of(self, account: VenueAccount) -> WalletView:
        view = account.wallet_view(self.mark_price, self.coin_price, self.clock.now_ms())
        mmr, mm = self._perp_params.maintenance_rate, ZERO
        for symbol, record in account.positions.items():
            mark = self.mark_price(symbol)
            if record.position.size and mark is not None:
                mm += maintenance_margin(record.position.size, mark, mmr)
        if not mm:
            return view
        coins = tuple(replace(c, position_mm=mm) if c.coin == "USDT" else c for c in view.coins)
        return replace(view, coins=coins)

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
