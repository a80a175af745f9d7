"""Applies engine Reports to the venue: settles both sides of every fill, closes orders, feeds the tapes.

Every Report, whoever caused it (a venue account or the trader swarm), goes through ``apply``, so a
resting venue order is filled the same way whatever hit it.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

import structlog

from tradewind.application.ports.clock import Clock
from tradewind.application.venue.account import VenueAccount
from tradewind.application.venue.events import FillSplitter, ReportListener
from tradewind.application.venue.journal import EventJournal
from tradewind.application.venue.model import (
    CancelCause,
    NoFillReason,
    Order,
    RejectCode,
    VenueError,
    VenueOrderStatus,
)
from tradewind.application.venue.settlement import Settlement
from tradewind.application.venue.tape import MarketTape, PublicTrade
from tradewind.domain.instruments import Instrument
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.matching.events import OrderStatus, RejectReason, Report
from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import ZERO, StopKind, capped_sizes, partial_crossed

log = structlog.get_logger(__name__)
MarketKey = tuple[Category, str]

_TRADE_NS = 0x7  # uuid namespace of public trade ids
_NO_FILL_REASONS = {
    RejectReason.POST_ONLY_WOULD_TAKE: NoFillReason.POST_ONLY_WOULD_TAKE,
    RejectReason.FOK_NOT_FILLABLE: NoFillReason.NO_IMMEDIATE_FILL,
    RejectReason.NO_LIQUIDITY: NoFillReason.NO_IMMEDIATE_FILL,
}


def uuid_id(namespace: int, n: int) -> str:
    """A uuid-shaped id, deterministic from a counter: ``00000000-0000-4000-8000-000000000001``."""
    return str(uuid.UUID(int=(namespace << 124) | n, version=4))


class OrderFlow:
    """The venue's write path after validation: engine outcomes become fills, closes and triggers."""

    def __init__(
        self,
        accounts: Mapping[str, VenueAccount],
        tapes: Mapping[MarketKey, MarketTape],
        settlement: Settlement,
        journal: EventJournal,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._tapes = tapes
        self._market_no = {key: n for n, key in enumerate(tapes, start=1)}
        self._settlement = settlement
        self._journal = journal
        self._clock = clock
        self._owner: dict[str, VenueAccount] = {}  # open venue order id -> its account
        self.report_listeners: list[ReportListener] = []
        self.fill_splitter: FillSplitter | None = None
        # Stops fired by an operation's trades, sent after it: (account, symbol, kind, the partial order's id or "").
        self.triggers: deque[tuple[VenueAccount, str, StopKind, str]] = deque()
        self.attachments: deque[tuple[VenueAccount, Order]] = deque()  # filled tpslMode Partial orders: add a pair

    def open(self, account: VenueAccount, order: Order) -> None:
        account.add_order(order)
        self._owner[order.order_id] = account
        self._journal.order(account, order)

    def update(self, account: VenueAccount, order: Order) -> None:
        account.update_order(order)
        self._journal.order(account, order)

    def apply(self, inst: Instrument, report: Report, taker: VenueAccount | None, *, notify: bool) -> None:
        """Settle ``report``'s fills for every venue order in them; ``taker`` owns ``report.order_id`` if not None."""
        key = (inst.category, inst.symbol)
        now_ms = self._clock.now_ms()
        prices: list[Decimal] = []
        for fill in report.fills:
            price = inst.ticks_to_price(fill.price)
            qty = inst.lots_to_qty(fill.qty)
            ts_ms = fill.ts // 1_000_000 if fill.ts else now_ms
            trade_uid = uuid_id(_TRADE_NS, (self._market_no[key] << 64) | fill.trade_id)
            self._tapes[key].record(
                PublicTrade(fill.trade_id, trade_uid, price, qty, fill.taker_side, ts_ms, report.seq)
            )
            prices.append(price)
            maker = self._owner.get(fill.maker_order_id)
            if maker is not None:
                leaves = inst.lots_to_qty(fill.maker_leaves)
                self._settle(
                    maker, fill.maker_order_id, qty, price, maker_leaves=leaves, trade=fill.trade_id, seq=report.seq
                )
            if taker is not None and fill.taker_order_id == report.order_id:
                for piece in self._pieces(taker, inst, fill.qty):
                    piece_qty = qty if piece == fill.qty else inst.lots_to_qty(piece)
                    self._settle(
                        taker, report.order_id, piece_qty, price, maker_leaves=None, trade=fill.trade_id, seq=report.seq
                    )
        if taker is not None:
            self._finish_taker(taker, inst, report)
        if notify:
            self.notify(inst, report)
        if prices and inst.category is Category.LINEAR:
            self._arm_triggers(inst.symbol, prices)

    def _pieces(self, taker: VenueAccount, inst: Instrument, lots: int) -> Sequence[int]:
        """The taker's executions of one fill, in lots: the whole fill unless a splitter cuts it (exactly)."""
        pieces = self.fill_splitter(taker.api_key, inst, lots) if self.fill_splitter is not None else None
        if pieces is None:
            return (lots,)
        if not pieces or sum(pieces) != lots or min(pieces) < 1:
            # The engine has matched already: failing here would leave the venue half-settled, so settle it whole.
            log.warning("venue.bad_fill_split", lots=lots, pieces=list(pieces)[:20])
            return (lots,)
        return pieces

    def notify(self, inst: Instrument, report: Report) -> None:
        for listener in list(self.report_listeners):
            listener(inst, report)

    def cancel(self, engine: MatchingEngine, account: VenueAccount, order: Order) -> Order:
        inst = engine.instrument
        if order.status.is_conditional:  # not on the book: nothing for the engine to do
            return self.close(account, order, VenueOrderStatus.CANCELLED, cancel_cause=CancelCause.USER)
        report = engine.cancel(order.order_id, self._clock.now_ns())
        if report.status is OrderStatus.REJECTED:
            raise VenueError(RejectCode.ORDER_FINISHED, f"order {order.order_id} is no longer open", inst.category)
        closed = self.close(account, order, _cancelled(order), cancel_cause=CancelCause.USER)
        self.notify(inst, report)
        return closed

    def close(
        self,
        account: VenueAccount,
        order: Order,
        status: VenueOrderStatus,
        *,
        reject: NoFillReason | None = None,
        cancel_cause: CancelCause | None = None,
    ) -> Order:
        """Finish an order: release what it still holds and move it to the history."""
        if order.lock_left:
            account.wallet.unlock(order.lock_coin, order.lock_left)
        closed = replace(
            order,
            status=status,
            leaves_qty=ZERO,
            lock_left=ZERO,
            reject_reason=reject if reject is not None else order.reject_reason,
            cancel_cause=cancel_cause if cancel_cause is not None else order.cancel_cause,
            updated_ms=self._clock.now_ms(),
        )
        self._owner.pop(order.order_id, None)
        self.update(account, closed)
        if order.tpsl_partial and closed.cum_exec_qty and (order.take_profit or order.stop_loss):
            self.attachments.append((account, closed))
        return closed

    def _settle(
        self,
        account: VenueAccount,
        order_id: str,
        qty: Decimal,
        price: Decimal,
        *,
        maker_leaves: Decimal | None,
        trade: int,
        seq: int,
    ) -> None:
        order = account.open_orders.get(order_id)
        if order is None:
            return
        now_ms = self._clock.now_ms()
        record = account.position(order.symbol, now_ms) if order.category is Category.LINEAR else None
        was_flat = record is not None and record.position.size == 0
        updated, execution = self._settlement.fill(
            account,
            order,
            qty,
            price,
            is_maker=maker_leaves is not None,
            maker_leaves=maker_leaves,
            trade_id=trade,
            seq=seq,
            now_ms=now_ms,
        )
        if record is not None:
            account.margin_changed(order.symbol)
            if was_flat:
                record.created_ms = now_ms
            record.updated_ms = now_ms
            record.seq = seq
            self._journal.position(account, order.symbol)
            self._cap_partials(account, order.symbol)
        account.executions.append(execution)
        self._journal.execution(account, execution)
        if updated.leaves_qty == 0:
            self.close(account, updated, VenueOrderStatus.FILLED)
        else:
            self.update(account, updated)

    def _finish_taker(self, account: VenueAccount, inst: Instrument, report: Report) -> None:
        order = account.open_orders.get(report.order_id)
        if order is None:
            return  # its fills filled it in full
        if report.status is OrderStatus.REJECTED:
            reason = _NO_FILL_REASONS.get(report.reason) if report.reason is not None else None
            if reason is None:
                raise RuntimeError(f"engine rejected venue order {order.order_id}: {report.reason}")
            self.close(account, order, VenueOrderStatus.CANCELLED, reject=reason)
        elif report.status is OrderStatus.CANCELLED:
            self.close(account, order, _cancelled(order), reject=NoFillReason.NO_IMMEDIATE_FILL)
        elif report.status is OrderStatus.FILLED:
            self.close(account, order, VenueOrderStatus.FILLED)
        else:
            leaves = inst.lots_to_qty(report.leaves)
            status = VenueOrderStatus.PARTIALLY_FILLED if order.cum_exec_qty else VenueOrderStatus.NEW
            if leaves != order.leaves_qty or status is not order.status:
                self.update(account, replace(order, leaves_qty=leaves, status=status))

    def _arm_triggers(self, symbol: str, prices: Sequence[Decimal]) -> None:
        for account in self._accounts.values():
            record = account.positions.get(symbol)
            if record is None or record.position.size == 0:
                continue
            self._arm_partials(account, symbol, record.position.size > 0, prices)
            p = record.position.protection
            if p.take_profit is None and p.stop_loss is None and p.trailing_stop is None:
                continue
            for price in prices:
                kind = record.position.trigger(price)
                if kind is not None:
                    record.position.clear_protection()
                    self._journal.position(account, symbol)
                    self.triggers.append((account, symbol, kind, ""))
                    break

    def _arm_partials(self, account: VenueAccount, symbol: str, long: bool, prices: Sequence[Decimal]) -> None:
        """Fire each partial TP / SL a price crossed (its pair's other order is deactivated: one closes, not both)."""
        for order in account.conditional_orders(symbol):
            if order.status is not VenueOrderStatus.UNTRIGGERED or order.stop_kind is None:
                continue  # its pair fired earlier in this loop
            assert order.trigger_price is not None
            if any(partial_crossed(order.stop_kind, long, order.trigger_price, price) for price in prices):
                self.update(account, replace(order, status=VenueOrderStatus.TRIGGERED, updated_ms=self._clock.now_ms()))
                linked = account.open_orders.get(order.linked_id) if order.linked_id else None
                if linked is not None and linked.status is VenueOrderStatus.UNTRIGGERED:
                    self.close(account, linked, VenueOrderStatus.DEACTIVATED)
                self.triggers.append((account, symbol, order.stop_kind, order.order_id))

    def _cap_partials(self, account: VenueAccount, symbol: str) -> None:
        """After the position changed: partial TP / SL sizes cut to its size (oldest first), all ended when it is
        flat or turned to the other side, as Bybit does."""
        pending = [o for o in account.conditional_orders(symbol) if o.status is VenueOrderStatus.UNTRIGGERED]
        if not pending:
            return
        pos = account.positions[symbol].position
        size = abs(pos.size)
        for kind in (StopKind.PARTIAL_TAKE_PROFIT, StopKind.PARTIAL_STOP_LOSS):
            orders = [o for o in pending if o.stop_kind is kind]
            cap = size if pos.side is not None and all(o.side is not pos.side for o in orders) else ZERO
            for order, new in zip(orders, capped_sizes([o.qty for o in orders], cap), strict=True):
                if new == 0:
                    self.close(account, order, VenueOrderStatus.DEACTIVATED)
                elif new != order.qty:
                    self.update(account, replace(order, qty=new, leaves_qty=new, updated_ms=self._clock.now_ms()))


def _cancelled(order: Order) -> VenueOrderStatus:
    if order.cum_exec_qty and order.category is Category.SPOT:
        return VenueOrderStatus.PARTIALLY_FILLED_CANCELED
    return VenueOrderStatus.CANCELLED
