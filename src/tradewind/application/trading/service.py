"""TraderService: the position manager. Signals in (the ``signal.trade`` work queue), orders and deals out.

Per signal, under a lock of its symbol and source: a BUY is allowed with no open position and none closed within the
cooling period; its deal is inserted ``pending`` first (the database's partial unique index holds the position's
place, so a second BUY of another consumer is refused by the database itself), then the market order is placed with
a client order id derived from the signal id, then the deal is completed, or deleted if the exchange refused: the
unit of work either opens one position or changes nothing. A redelivered signal finds its deal by that client id and
reconciles with the exchange's order instead of sending another. A SELL closes the whole position at market after
asking the exchange what is left (never a second close, never a close of nothing). Stop-loss and take-profit are kept
on the exchange's position where it can (Bybit linear), else watched here on ``md.trade``: those positions are kept in
memory (``WatchedPositions``), so a tick decides and sends its close without a database read; closes by the exchange
are found in its fills and recorded on the deal, at start too. Each position opened or closed is announced on
``trader.deal.<kind>`` once its deal is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

import structlog

from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import SIGNAL
from tradewind.application.messages.trade_events import announce
from tradewind.application.ports.bus import Bus, Message, PoisonMessage, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.deals import DealConflict, DealRepository
from tradewind.application.ports.exchange import (
    ExchangeError,
    ExchangeGateway,
    InstrumentsNotLoaded,
    OrderRejected,
    UnknownInstrument,
)
from tradewind.application.ports.trades import TradeRepository
from tradewind.application.trading.fills import FillsLook
from tradewind.application.trading.rounds import every
from tradewind.application.trading.settings import TraderSettings
from tradewind.application.trading.watched import Market, WatchedPosition, WatchedPositions, market_of
from tradewind.domain.candles import MINUTE_MS, Candle, candle_start
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.orders import (
    Balance,
    ExecutionFill,
    OrderIntent,
    OrderResult,
    PositionProtection,
    PositionSnapshot,
    net_size,
)
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.trading.deals import (
    ZERO,
    CloseReason,
    Deal,
    DealStatus,
    Protection,
    StopReached,
    closing_fills,
    deal_client_order_id,
    fee_in_quote,
    first_stop,
    protection_levels,
    stop_through,
    trail_through,
    trailing_level,
)
from tradewind.domain.trading.events import deal_event
from tradewind.domain.trading.pnl import PnlReport, pnl_report
from tradewind.domain.trading.status import PositionStatus, position_status
from tradewind.domain.trading.trades import TradeStatus
from tradewind.domain.values import Category, OrderType, Side

log = structlog.get_logger(__name__)

Key = tuple[str, Category, str, str]  # exchange, category, symbol, source
_POLL_S = 0.2  # between look-ups of a market order that has not reported its fill yet
_HUNDRED = Decimal(100)
_DeskKey = tuple[ExchangeGateway, Category, str]  # the account (its gateway) and symbol a desk trade holds
_OURS = "sg"  # the prefix of every client order id the trader sends (deal_client_order_id)
_NS_PER_MS = 1_000_000
_FINEST = 1  # minutes: the finest candle interval of the ExchangeGateway port (domain.candles.INTERVALS)


class Outcome(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    REFUSED = "refused"  # a rule said no (open position, cooling period)
    REJECTED = "rejected"  # the exchange refused the order: nothing changed
    IGNORED = "ignored"  # a SELL with nothing open, a NOTHING
    REPEATED = "repeated"  # the signal was handled before


@dataclass(frozen=True, slots=True)
class Handled:
    """What one signal did; ``deal`` is the deal it opened, closed or found."""

    outcome: Outcome
    reason: str = ""
    deal: Deal | None = None


class TraderError(ValueError):
    """A signal the trader can never act on (unknown exchange or symbol): dead-lettered with this reason."""


class TraderService:
    """The position manager over one deal repository and the configured exchanges' gateways."""

    def __init__(
        self,
        deals: DealRepository,
        gateways: Mapping[str, ExchangeGateway],
        bus: Bus,
        clock: Clock,
        settings: TraderSettings | None = None,
        *,
        trades: TradeRepository | None = None,
    ) -> None:
        self._deals = deals
        self._trades = trades  # the trade desk's trades: they share the account's one-way position (reconcile)
        self._gateways = dict(gateways)
        self._bus = bus
        self._clock = clock
        self._settings = settings or TraderSettings()
        self._locks: dict[Key, asyncio.Lock] = {}
        self._subscription: Subscription | None = None
        self._watched = WatchedPositions()
        self._watch_subscriptions: dict[Market, Subscription] = {}
        self._differences: dict[str, str] = {}  # by deal client id: what the exchange says otherwise
        self.handled: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
        self._stopping = asyncio.Event()
        self._best_due: dict[int, tuple[Decimal, int]] = {}  # by deal id: a best price (and when seen) not yet written
        self._best_writers: dict[int, asyncio.Task[None]] = {}
        self._not_caught_up: set[str] = set()  # deals (client ids) whose catch-up the exchange refused: warned once

    @property
    def settings(self) -> TraderSettings:
        return self._settings

    @property
    def watched(self) -> list[WatchedPosition]:
        """The positions the trader protects itself, as last committed (what a tick decides from)."""
        return self._watched.all()

    @property
    def differences(self) -> list[str]:
        """What reconciling found the exchange to say otherwise than the deals table (logged, never fixed)."""
        return list(self._differences.values())

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reconcile the open deals with the exchanges (loading the watched positions afresh), catch the stops the
        trader decides up on what the market printed meanwhile, then consume the signal queue."""
        self._watched.clear()
        await self.reconcile()
        await self.catch_up()
        self._subscription = await self._bus.subscribe(
            self._settings.pattern, self._on_message, queue=self._settings.queue
        )

    async def run(self) -> None:
        """Check the positions protected on the exchange every ``sync_interval_s`` (closed by a stop meanwhile?),
        until ``stop``."""
        self._stopping.clear()
        await every(self._clock, self._settings.sync_interval_s, self._stopping, self.sync_protected,
                    "trader.sync_failed")  # fmt: skip

    async def stop(self) -> None:
        self._stopping.set()
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.cancel()
        for watch in list(self._watch_subscriptions.values()):
            await watch.cancel()
        self._watch_subscriptions.clear()
        await asyncio.gather(*self._best_writers.values())  # a best price moved before the stop is kept

    # --- signals ----------------------------------------------------------------------------------

    async def _on_message(self, message: Message) -> None:
        try:
            signal = SIGNAL.decode(message.payload)
            self._check(signal)
        except (PoisonMessage, TraderError) as exc:
            log.error("trader.signal_refused", topic=message.topic, reason=str(exc))
            if isinstance(exc, PoisonMessage):
                raise
            raise PoisonMessage(str(exc)) from exc
        await self.handle(signal)

    def _check(self, signal: Signal) -> None:
        """TraderError for a signal no retry can help: its exchange or symbol is unknown here."""
        gateway = self._gateways.get(signal.exchange)
        if gateway is None:
            raise TraderError(f"signal {signal.signal_id}: unknown exchange {signal.exchange!r}")
        try:
            gateway.instrument(signal.category, signal.symbol)
        except InstrumentsNotLoaded:
            raise  # not yet: the redelivery may find it
        except UnknownInstrument as exc:
            raise TraderError(f"signal {signal.signal_id}: {exc}") from None

    async def handle(self, signal: Signal) -> Handled:
        """Act on one signal (see the module docstring); raises only what a redelivery may cure."""
        self._check(signal)
        if signal.action is Action.NOTHING:
            log.info("trader.nothing", source=signal.source, symbol=signal.symbol, signal_id=signal.signal_id)
            return self._count(Handled(Outcome.IGNORED, "NOTHING"))
        key = (signal.exchange, signal.category, signal.symbol, signal.source)
        async with self._lock(key):
            if signal.action is Action.BUY:
                return self._count(await self._buy(signal))
            return self._count(await self._sell(signal))

    def _count(self, handled: Handled) -> Handled:
        self.handled[handled.outcome] += 1
        return handled

    def _lock(self, key: Key) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def status(self, exchange: str, category: Category, symbol: str, source: str) -> PositionStatus:
        """What a BUY of that symbol and source may do now."""
        open_deal = await self._deals.open_position(exchange, category, symbol, source)
        last = await self._deals.last_closed_ns(exchange, category, symbol, source)
        return position_status(open_deal, last, self._clock.now_ns(), self._settings.cooling_period_s)

    # --- BUY --------------------------------------------------------------------------------------

    async def _buy(self, signal: Signal) -> Handled:
        gateway = self._gateways[signal.exchange]
        cid = deal_client_order_id(signal.signal_id, "b")
        known = await self._deals.by_client_order_id(signal.exchange, cid)
        if known is not None:
            if known.status is DealStatus.PENDING:  # redelivered after a crash or a lost answer: finish it
                return await self._complete_buy(known, gateway, signal)
            return Handled(Outcome.REPEATED, "signal already handled", known)
        status = await self.status(signal.exchange, signal.category, signal.symbol, signal.source)
        if status.open_position is not None and status.open_position.client_order_id == cid:
            return Handled(Outcome.REPEATED, "signal handled by another consumer", status.open_position)
        if not status.can_open_new:
            reason = "a position is open" if status.has_open_position else "cooling period after the last close"
            log.info("trader.buy_refused", source=signal.source, symbol=signal.symbol, reason=reason)
            return Handled(Outcome.REFUSED, reason, status.open_position)
        inst = gateway.instrument(signal.category, signal.symbol)
        qty = inst.floor_qty(signal.amount_quote / signal.price)
        pending = Deal(
            None, self._clock.now_ns(), signal.exchange, signal.category, signal.symbol, signal.source,
            signal.signal_id, Action.BUY, cid, DealStatus.PENDING, signal.amount_quote, qty=qty,
        )  # fmt: skip
        try:
            pending = await self._deals.insert(pending)
        except DealConflict as exc:  # another consumer holds the place (the database's own check)
            same = await self._deals.by_client_order_id(signal.exchange, cid)
            if same is not None:  # the same signal, delivered twice at once: the other consumer carries it out
                return Handled(Outcome.REPEATED, "signal handled by another consumer", same)
            log.info("trader.buy_refused", source=signal.source, symbol=signal.symbol, reason=str(exc))
            return Handled(Outcome.REFUSED, "a position is open (refused by the database)")
        return await self._complete_buy(pending, gateway, signal)

    async def _complete_buy(self, deal: Deal, gateway: ExchangeGateway, signal: Signal | None) -> Handled:
        assert deal.id is not None
        inst = gateway.instrument(deal.category, deal.symbol)
        leverage = self._settings.leverage
        if leverage is not None and deal.category is Category.LINEAR:
            with contextlib.suppress(ExchangeError):
                await gateway.set_leverage(deal.category, deal.symbol, leverage)
        intent = OrderIntent(
            deal.client_order_id, deal.exchange, deal.category, deal.symbol, Side.BUY, OrderType.MARKET, deal.qty
        )
        try:
            # Since the deal's creation: Bybit's order history answers 7 days unless told from when.
            result = await gateway.fetch_order(
                deal.category, deal.symbol, deal.client_order_id, since_ns=deal.created_ns
            )
            if result is None:  # reconcile first: a redelivery must never send a second order
                result = await gateway.place_order(intent)
            result = await self._settled(gateway, deal, result)
        except (OrderRejected, FilterError) as exc:
            await self._deals.delete(deal.id)
            log.warning("trader.buy_rejected", source=deal.source, symbol=deal.symbol, reason=str(exc))
            return Handled(Outcome.REJECTED, str(exc))
        if result.filled_qty <= 0 or result.avg_price is None:
            await self._deals.delete(deal.id)
            reason = result.reject_reason or f"the order ended {result.state.value} without a fill"
            log.warning("trader.buy_rejected", source=deal.source, symbol=deal.symbol, reason=reason)
            return Handled(Outcome.REJECTED, reason)
        entry = result.avg_price
        base_fee = result.fee if result.fee_currency == inst.base else ZERO
        fee = fee_in_quote(result.fee, result.fee_currency, entry, inst)
        tp_pct = signal.take_profit_pct if signal is not None and signal.take_profit_pct else None
        sl_pct = signal.stop_loss_pct if signal is not None and signal.stop_loss_pct else None
        levels = protection_levels(
            entry, tp_pct or self._settings.take_profit_pct, sl_pct or self._settings.stop_loss_pct, inst
        )
        opened = deal.opened(result.exchange_order_id, result.filled_qty - base_fee, entry, fee, levels)
        if signal is None:
            opened = replace(opened, note="levels from the defaults (the signal was not redelivered)")
        opened = await self._protect(opened, gateway, inst)
        if self._settings.trailing_stop_pct is not None:
            note = f"trailing stop {self._settings.trailing_stop_pct} % watched by the trader"
            opened = replace(opened, note=_joined(opened.note, note))
        await self._deals.save(opened)
        log.info(
            "trader.opened", source=opened.source, symbol=opened.symbol, qty=str(opened.qty), price=format(entry, "f"),
            take_profit=str(levels[0]), stop_loss=str(levels[1]), protection=opened.protection.value,
        )  # fmt: skip
        await announce(self._bus, deal_event(opened, inst, self._clock.now_ns()))
        if self._watches(opened):
            await self._watch(opened)
        return Handled(Outcome.OPENED, "", opened)

    async def _settled(self, gateway: ExchangeGateway, deal: Deal, result: OrderResult) -> OrderResult:
        """The market order once it has reported its fill (or ended); ExchangeError if it is still silent."""
        waited = 0.0
        while not result.is_final and result.filled_qty < deal.qty:
            if waited >= self._settings.fill_wait_s:
                raise ExchangeError(f"order {deal.client_order_id} reported no fill within {waited:.1f} s")
            await self._clock.sleep(_POLL_S)
            waited += _POLL_S
            found = await gateway.fetch_order(
                deal.category, deal.symbol, deal.client_order_id, since_ns=deal.created_ns
            )
            result = found or result
        return result

    async def _protect(self, deal: Deal, gateway: ExchangeGateway, inst: Instrument) -> Deal:
        """Stop-loss and take-profit on the exchange where it keeps them, else watched here.

        On the exchange each deal gets a TP / SL pair of its own quantity (Bybit's Partial mode), not the symbol's
        one set: another source's position on the same symbol keeps its own levels, and the ids of the pair's
        conditional orders, stored on the deal, tell its close by the exchange from anyone else's.
        """
        if self._settings.protection == "exchange" and deal.category is Category.LINEAR:
            protection = PositionProtection(deal.take_profit, deal.stop_loss, size=deal.qty)
            try:
                orders = await gateway.set_protection(deal.category, deal.symbol, protection)
                return replace(
                    deal, protection=Protection.EXCHANGE, tp_order_id=orders.take_profit_id,
                    sl_order_id=orders.stop_loss_id,
                )  # fmt: skip
            except ExchangeError as exc:
                note = f"the exchange refused position protection ({exc}): watched by the trader"
                log.warning("trader.protection_refused", symbol=deal.symbol, source=deal.source, reason=str(exc))
        elif deal.category is not Category.LINEAR:
            note = f"{deal.category.value}: stop-loss and take-profit watched by the trader"
        else:
            note = "stop-loss and take-profit watched by the trader (trader.protection: watch)"
        return replace(
            deal, protection=Protection.WATCHED, tp_order_id="", sl_order_id="", note=_joined(deal.note, note)
        )

    # --- SELL and closes --------------------------------------------------------------------------

    async def _sell(self, signal: Signal) -> Handled:
        cid = deal_client_order_id(signal.signal_id, "s")
        known = await self._deals.by_client_order_id(signal.exchange, cid)
        if known is not None and known.status is DealStatus.FILLED:
            return Handled(Outcome.REPEATED, "signal already handled", known)
        buy = await self._deals.open_position(signal.exchange, signal.category, signal.symbol, signal.source)
        if buy is None or buy.status is DealStatus.PENDING:
            log.info("trader.sell_ignored", source=signal.source, symbol=signal.symbol, reason="no open position")
            return Handled(Outcome.IGNORED, "no open position")
        unfinished = await self._pending_close(buy)
        if unfinished is not None:  # an earlier close was sent or begun: finish that one, never a second
            closed = await self._finish_close(buy, unfinished)
        else:
            closed = await self._close(buy, CloseReason.MANUAL, cid, signal.signal_id)
        if closed is None:
            return Handled(Outcome.IGNORED, "the position was closed on the exchange", buy)
        return Handled(Outcome.CLOSED, "", closed)

    async def _pending_close(self, buy: Deal) -> Deal | None:
        """The SELL deal of a close of ``buy`` begun but not finished (the BUY is ``closing``), if any."""
        if buy.status is not DealStatus.CLOSING:
            return None
        note = f"closes deal {buy.id}"
        recent = await self._deals.deals(source=buy.source, symbol=buy.symbol, limit=50)
        return next(
            (d for d in recent if d.action is Action.SELL and d.status is DealStatus.PENDING and d.note == note), None
        )

    async def _finish_close(self, buy: Deal, unfinished: Deal) -> Deal | None:
        """Finish the close ``unfinished`` (its pending SELL deal) of ``buy``, by its own client id."""
        return await self._close(
            buy, _reason_of(unfinished), unfinished.client_order_id, unfinished.signal_id, begun=unfinished
        )

    async def _close(
        self,
        buy: Deal,
        reason: CloseReason | None,
        cid: str,
        signal_id: str,
        *,
        record_first: bool = True,
        begun: Deal | None = None,
        note: str = "",
    ) -> Deal | None:
        """Close ``buy`` at market with the order ``cid``; None when the exchange had closed it already.

        Reconciles first: a close already sent (by a run that crashed, or whose answer was lost) is looked up by its
        client id and never sent twice; a position the exchange's stop closed is recorded as that stop's hit.
        ``record_first``: the SELL deal is stored (pending, the BUY ``closing``) before the order, so a later SELL
        signal finishes this close instead of sending its own. Without it (the trader's own protection close, whose
        client id is fixed by the BUY: a second attempt finds the first order by it) the order goes out first and
        both deals are written once, after the fill: no commit between the tick and the order. ``begun``: the
        pending SELL deal of ``cid`` when the caller holds it already (not read again). ``note``: the closed deal's.
        """
        gateway = self._gateways[buy.exchange]
        inst = gateway.instrument(buy.category, buy.symbol)
        # Without record_first no SELL deal of ``cid`` can exist while ``buy`` is open (both are written together).
        sell = begun
        if sell is None and record_first:
            sell = await self._deals.by_client_order_id(buy.exchange, cid)
        asked = sell is not None or not record_first
        since_ns = (sell or buy).created_ns  # the SELL order is sent after its deal (or the BUY) was written
        result = await gateway.fetch_order(buy.category, buy.symbol, cid, since_ns=since_ns) if asked else None
        if result is None and await self._closed_by_exchange(buy, gateway, inst):
            if sell is not None and sell.id is not None:
                await self._deals.delete(sell.id)
            return None
        if sell is None:
            sell = Deal(
                None, self._clock.now_ns(), buy.exchange, buy.category, buy.symbol, buy.source, signal_id,
                Action.SELL, cid, DealStatus.PENDING, buy.amount_quote, qty=inst.floor_qty(buy.qty),
                note=f"closes deal {buy.id}",
            )  # fmt: skip
            if record_first and result is None:
                buy = replace(buy, status=DealStatus.CLOSING)
                sell = await self._deals.insert(sell, updating=[buy])  # one transaction
                self._watched.committed(buy, sell)
        unprotected = False
        if result is None:
            orders = buy.protection_orders
            if orders.ids:
                # Its own TP / SL go first: a close shrinking the position under them would make the exchange cut
                # the oldest partial orders, perhaps another source's. One that fired already is the close instead.
                unprotected = True
                cancelled = await gateway.cancel_protection(buy.category, buy.symbol, orders)
                if not cancelled and await self._closed_by_exchange(buy, gateway, inst):
                    if sell.id is not None:
                        await self._deals.delete(sell.id)
                    return None
            intent = OrderIntent(
                cid, buy.exchange, buy.category, buy.symbol, Side.SELL, OrderType.MARKET, sell.qty,
                reduce_only=buy.category is Category.LINEAR,
            )  # fmt: skip
            try:
                result = await gateway.place_order(intent)
            except (OrderRejected, FilterError) as exc:
                await self._revert_close(buy, sell, str(exc), unprotected)
                return None
        result = await self._settled(gateway, sell, result)
        if result.filled_qty <= 0 or result.avg_price is None:
            reason_text = result.reject_reason or f"close ended {result.state.value}"
            await self._revert_close(buy, sell, reason_text, unprotected)
            return None
        price = result.avg_price
        fee = fee_in_quote(result.fee, result.fee_currency, price, inst)
        partly = "" if result.filled_qty >= sell.qty else f"closed {result.filled_qty} of {sell.qty}"
        reason = reason or buy.exit_reason(price)
        closed = buy.closed(reason, price, fee, self._clock.now_ns(), _joined(note, partly))
        filled = replace(
            sell, status=DealStatus.FILLED, exchange_order_id=result.exchange_order_id, qty=result.filled_qty,
            price=price, fee=fee,
        )  # fmt: skip
        if filled.id is None:
            await self._deals.insert(filled, updating=[closed])  # both in one transaction
        else:
            await self._deals.save(closed, filled)
        self._unwatch(closed)
        log.info(
            "trader.closed", source=closed.source, symbol=closed.symbol, reason=reason.value, price=format(price, "f"),
            pnl=str(closed.realised_pnl()),
        )  # fmt: skip
        await announce(self._bus, deal_event(closed, inst, self._clock.now_ns(), reason.value))
        return closed

    async def _revert_close(self, buy: Deal, sell: Deal, reason: str, unprotected: bool = False) -> None:
        """The exchange refused the close: the position is open again (``unprotected``: with a new TP / SL pair,
        its own having been cancelled for the close)."""
        if sell.id is not None:  # stored before the order: the close is undone, the position open again
            await self._deals.delete(sell.id)
            self._watched.committed(buy)
            reopened = replace(buy, status=DealStatus.OPEN)
            if unprotected:
                gateway = self._gateways[buy.exchange]
                reopened = await self._protect(reopened, gateway, gateway.instrument(buy.category, buy.symbol))
            await self._deals.save(reopened)
            self._watched.committed(reopened)
            if self._watches(reopened) and self._watched.get(reopened) is None:
                await self._watch(reopened)  # the exchange refused a new pair: watched here from now on
        log.warning("trader.close_rejected", source=buy.source, symbol=buy.symbol, reason=reason)

    async def _closed_by_exchange(
        self,
        buy: Deal,
        gateway: ExchangeGateway,
        inst: Instrument,
        positions: list[PositionSnapshot] | None = None,
        look: FillsLook | None = None,
    ) -> bool:
        """Whether the exchange's own stop closed ``buy`` (recorded here as its hit); a linear position only.

        A deal with its own TP / SL orders is closed by their fills, whatever the account's position (other sources
        hold the same symbol); one protected the whole-position way (before those orders) by the position shrinking.
        ``positions``: the account's positions, read before this call (a sync reads them once for all its deals);
        ``look``: the sync's fills, each symbol's read once for all its deals (else the deal's own are read here).
        """
        if buy.category is not Category.LINEAR:
            return False
        # The position before the fills: a stop firing in between shows as its fill, never as an unexplained gap.
        if positions is None:
            positions = await gateway.fetch_positions(buy.category)
        size = net_size(positions, buy.symbol)
        orders = buy.protection_orders
        if orders.ids:
            fills = await self._fills_since_open(buy, gateway, look)
            closing = [f for f in fills if f.order_id in orders.ids and f.side is Side.SELL]
            if closing:
                hit = CloseReason.TAKE_PROFIT if closing[0].order_id == orders.take_profit_id else None
                await self._record_exchange_close(buy, closing, inst, hit or CloseReason.STOP_LOSS)
                return True
        if size >= buy.qty:
            return False
        closing = []
        if not orders.ids:
            fills = await self._fills_since_open(buy, gateway, look)
            closing = [f for f in fills if f.side is Side.SELL and not f.client_order_id.startswith(_OURS)]
        if not closing:
            self._differ(
                buy, f"the exchange holds {size} {buy.symbol}, the deal {buy.qty}, and no stop fill explains it"
            )
            return size <= 0  # nothing to close: never a close of nothing
        await self._record_exchange_close(buy, closing, inst)
        return True

    @staticmethod
    async def _fills_since_open(buy: Deal, gateway: ExchangeGateway, look: FillsLook | None) -> list[ExecutionFill]:
        """The fills of ``buy``'s symbol since it was opened: from the sync's shared read, else read for it alone."""
        if look is not None:
            return await look.fills(gateway, buy)
        return await gateway.fetch_fills(buy.category, buy.symbol, since_ns=buy.created_ns)

    async def _record_exchange_close(
        self, buy: Deal, fills: list[ExecutionFill], inst: Instrument, reason: CloseReason | None = None
    ) -> None:
        done = closing_fills(fills, inst)
        price = inst.round_price(done.price)
        reason = reason or buy.exit_reason(done.price)
        note = "" if done.qty == buy.qty else f"the exchange closed {done.qty} of {buy.qty}"
        closed = buy.closed(reason, done.price, done.fee, done.ts_ns, note)
        await self._deals.save(closed)
        self._differences.pop(buy.client_order_id, None)
        self._unwatch(closed)
        log.info(
            "trader.closed_by_exchange", source=buy.source, symbol=buy.symbol, reason=reason.value,
            price=format(price, "f"), pnl=str(closed.realised_pnl()),
        )  # fmt: skip
        await announce(self._bus, deal_event(closed, inst, self._clock.now_ns(), reason.value, by_exchange=True))

    def _differ(self, deal: Deal, text: str) -> None:
        line = f"deal {deal.id} ({deal.source} {deal.exchange} {deal.category.value} {deal.symbol}): {text}"
        if self._differences.get(deal.client_order_id) != line:
            log.warning("trader.difference", deal=deal.id, source=deal.source, symbol=deal.symbol, difference=text)
        self._differences[deal.client_order_id] = line

    # --- reconciliation ---------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """At start: every open deal against its exchange's orders and positions; differences logged and shown."""
        deals = await self._deals.open_deals()
        desk = await self._desk_positions()
        for deal in deals:
            gateway = self._gateways.get(deal.exchange)
            if gateway is None:
                self._differ(deal, f"no gateway for exchange {deal.exchange!r} in this process")
                continue
            key = (deal.exchange, deal.category, deal.symbol, deal.source)
            async with self._lock(key):
                try:
                    await self._reconcile_one(deal, gateway, deals, desk)
                except ExchangeError as exc:
                    self._differ(deal, f"not reconciled: {exc}")

    async def _reconcile_one(
        self, deal: Deal, gateway: ExchangeGateway, deals: list[Deal], desk: dict[_DeskKey, Decimal]
    ) -> None:
        inst = gateway.instrument(deal.category, deal.symbol)
        if deal.status is DealStatus.PENDING:
            order = await gateway.fetch_order(
                deal.category, deal.symbol, deal.client_order_id, since_ns=deal.created_ns
            )
            if order is None:
                self._differ(deal, "a pending BUY the exchange has no order of (its signal's redelivery places it)")
            elif order.filled_qty > 0:
                await self._complete_buy(deal, gateway, None)
            return
        if deal.status is DealStatus.CLOSING:
            unfinished = await self._pending_close(deal)
            if unfinished is not None:
                await self._finish_close(deal, unfinished)
                return
            deal = replace(deal, status=DealStatus.OPEN)
            await self._deals.save(deal)
        if await self._closed_by_exchange(deal, gateway, inst):
            return
        orders = deal.protection_orders
        if orders.ids:  # neither fired: both must still be there, or the position is not protected as the deal says
            open_ids = {o.exchange_order_id for o in await gateway.fetch_open_orders(deal.category, deal.symbol)}
            gone = [i for i in orders.ids if i not in open_ids]
            if gone:
                self._differ(deal, f"its TP / SL orders {', '.join(gone)} are no longer open on the exchange")
        if deal.category is Category.LINEAR:
            positions = await gateway.fetch_positions(deal.category)
            size = net_size(positions, deal.symbol)
            # Every source's open deal of the symbol shares the one-way position, and so do the trade desk's trades on
            # the same account (the same gateway): more than all of them differs.
            held = sum(
                (d.qty for d in deals if market_of(d) == market_of(deal) and d.status is not DealStatus.PENDING), ZERO
            ) + desk.get((gateway, deal.category, deal.symbol), ZERO)
            if size > held:
                self._differ(deal, f"the exchange holds {size} {deal.symbol}, more than the open deals' {held}")
        if self._watches(deal):
            await self._watch(deal)

    async def _desk_positions(self) -> dict[_DeskKey, Decimal]:
        """The trade desk's open trades' signed quantity per gateway (the account) and symbol; empty without them."""
        held: dict[_DeskKey, Decimal] = {}
        if self._trades is None:
            return held
        for trade in await self._trades.live():
            gateway = self._gateways.get(trade.exchange)
            if gateway is None or trade.status is TradeStatus.PENDING:  # pending: as the deals, not counted yet
                continue
            key = (gateway, trade.category, trade.symbol)
            held[key] = held.get(key, ZERO) + (trade.open_qty if trade.side is Side.BUY else -trade.open_qty)
        return held

    async def sync_protected(self) -> None:
        """Find positions the exchange's stops closed since the last look, and record the hits.

        Each account's positions are read once per look, before any deal's fills, not once per deal; each symbol's
        fills once per look too, since its oldest deal's creation, each deal given those since its own (FillsLook)."""
        positions: dict[tuple[str, Category], list[PositionSnapshot]] = {}
        open_deals = await self._deals.open_deals()
        synced = [d for d in open_deals if d.protection is Protection.EXCHANGE and d.status is DealStatus.OPEN]
        synced = [d for d in synced if d.exchange in self._gateways]
        look = FillsLook(synced)
        for deal in synced:
            gateway = self._gateways[deal.exchange]
            account = (deal.exchange, deal.category)
            if account not in positions and deal.category is Category.LINEAR:
                positions[account] = await gateway.fetch_positions(deal.category)
            async with self._lock((deal.exchange, deal.category, deal.symbol, deal.source)):
                current = await self._deals.by_client_order_id(deal.exchange, deal.client_order_id)
                if current is not None and current.status is DealStatus.OPEN:
                    inst = gateway.instrument(deal.category, deal.symbol)
                    await self._closed_by_exchange(current, gateway, inst, positions.get(account), look)

    # --- positions watched here -------------------------------------------------------------------

    def _watches(self, deal: Deal) -> bool:
        """Whether the trader follows ``deal``'s trades itself: its levels are not on the exchange, or it has a
        trailing stop (never on the exchange: Bybit keeps one per symbol, not per deal)."""
        return deal.protection is Protection.WATCHED or self._settings.trailing_stop_pct is not None

    async def _watch(self, deal: Deal) -> None:
        self._watched.watch(deal)
        market = market_of(deal)
        if market not in self._watch_subscriptions:
            topic = f"md.trade.{deal.exchange}.{deal.category.value}.{deal.symbol}"
            self._watch_subscriptions[market] = await self._bus.subscribe(topic, self._on_trade)

    def _unwatch(self, deal: Deal) -> None:
        self._watched.drop(deal)

    async def _on_trade(self, message: Message) -> None:
        trade = TRADE.decode(message.payload)
        market = (trade.ref.exchange, trade.ref.category, trade.ref.symbol)
        for position in self._watched.in_market(market):
            deal = position.deal
            # Levels kept on the exchange stay there; only a watched deal's are decided here.
            reason = _crossed(deal, trade.price) if deal.protection is Protection.WATCHED else None
            if reason is None:
                reason = self._trailed(deal, trade.price, trade.ts_ns)
            if reason is not None:
                await self.close_watched(deal, reason)

    def _trailed(self, deal: Deal, price: Decimal, seen_ns: int) -> CloseReason | None:
        """The trailing stop at ``price`` (a trade at ``seen_ns``): TRAILING_STOP on a retreat to its level, else the
        best price raised (and written behind the tick, never before an order)."""
        pct = self._settings.trailing_stop_pct
        best = self._watched.best(deal)
        if pct is None or best is None:
            return None
        if self._watched.raise_best(deal, price):
            self._write_best(deal, price, seen_ns)
            return None
        inst = self._gateways[deal.exchange].instrument(deal.category, deal.symbol)
        return CloseReason.TRAILING_STOP if price <= trailing_level(best, pct, inst) else None

    async def catch_up(self) -> None:
        """Catch the watched deals' stops up on what the market printed while the trader was down (at start, deals
        with no close begun): the trailing stop's best raised to the candles' high, and the deal closed at market if
        they prove a stop was reached since the trader last saw the deal: its trailing stop, or its stop-loss where the
        trader watches its levels (``trail_through``, ``stop_through``). Never its take-profit. One candle read per
        market, from the earliest of its deals' last-seen moments."""
        by_market: dict[Market, list[Deal]] = {}
        for position in self._watched.all():
            if position.unfinished is None and self._catches_up(position.deal):
                by_market.setdefault(market_of(position.deal), []).append(position.deal)
        for deals in by_market.values():
            candles = await self._candles_since(deals)
            if candles is None:
                continue
            for deal in deals:
                await self._catch_up(deal, candles)

    def _catches_up(self, deal: Deal) -> bool:
        """Whether a watched deal has a stop the trader decides: a trailing stop, or its own watched stop-loss."""
        watched_sl = deal.protection is Protection.WATCHED and deal.stop_loss is not None
        return deal.id is not None and (self._settings.trailing_stop_pct is not None or watched_sl)

    async def _candles_since(self, deals: list[Deal]) -> list[Candle] | None:
        """Every one-minute candle of the deals' market since the earliest moment one of them was last seen; None
        (each deal warned once) when the exchange refuses them."""
        deal = deals[0]
        since_ms = min(_seen_ms(d) for d in deals)
        now_ms = self._clock.now_ms()
        first = candle_start(since_ms, _FINEST)
        try:  # every candle of the window: the gateway reads as many of the venue's pages as that takes
            return await self._gateways[deal.exchange].fetch_candles(
                deal.category, deal.symbol, _FINEST, start_ms=first, end_ms=now_ms,
                limit=(now_ms - first) // MINUTE_MS + 1,
            )  # fmt: skip
        except Exception as exc:  # never a failed start: the live rules go on from the stored levels and best
            for refused in deals:
                if refused.client_order_id not in self._not_caught_up:
                    self._not_caught_up.add(refused.client_order_id)
                    log.warning(
                        "trader.not_caught_up", deal=refused.id, source=refused.source, symbol=refused.symbol,
                        since_ms=_seen_ms(refused), error=str(exc) or type(exc).__name__,
                    )  # fmt: skip
            return None

    async def _catch_up(self, deal: Deal, candles: list[Candle]) -> None:
        position = self._watched.get(deal)
        if position is None or position.unfinished is not None:  # a live trade closed it (or began to) meanwhile
            return
        deal = position.deal
        inst = self._gateways[deal.exchange].instrument(deal.category, deal.symbol)
        since_ms, entry_ms = _seen_ms(deal), deal.created_ns // _NS_PER_MS
        trailing = await self._trail_caught_up(deal, candles, since_ms, inst)
        stop_loss = None
        if deal.protection is Protection.WATCHED and deal.stop_loss is not None:
            stop_loss = stop_through(candles, deal.stop_loss, entry_ms=entry_ms, since_ms=since_ms)
        fired = first_stop(stop_loss, trailing)
        best = self._watched.best(deal)
        log.info(
            "trader.caught_up", deal=deal.id, source=deal.source, symbol=deal.symbol, candles=len(candles),
            best=None if best is None else format(best, "f"), fired=None if fired is None else fired[0].value,
        )  # fmt: skip
        if fired is not None:
            reason, proof = fired
            await self.close_watched(deal, reason, note=proof.note(reason))

    async def _trail_caught_up(
        self, deal: Deal, candles: list[Candle], since_ms: int, inst: Instrument
    ) -> StopReached | None:
        """The trailing stop walked through ``candles``: its best raised (and stored), and the proof it fired."""
        pct = self._settings.trailing_stop_pct
        stored = deal.best_price or deal.price  # the best as of ``since_ms`` (the one in memory may be a later tick's)
        if pct is None or stored is None or deal.id is None:
            return None
        entry_ms = deal.created_ns // _NS_PER_MS
        seen = trail_through(candles, stored, entry_ms=entry_ms, since_ms=since_ms, pct=pct, instrument=inst)
        if seen.best_ms is not None and self._watched.raise_best(deal, seen.best):
            # Written before any close (a closed deal's best is never rewritten): it records the high it closed from.
            await self._deals.raise_best_price(deal.id, seen.best, seen.best_ms * _NS_PER_MS)
        return seen.reached

    def _write_best(self, deal: Deal, price: Decimal, seen_ns: int) -> None:
        """Store a deal's new best price (seen at ``seen_ns``) in the background: one write at a time per deal, each
        of the latest price, so a fast rise costs a commit per write's round trip, not per tick."""
        assert deal.id is not None
        self._best_due[deal.id] = (price, seen_ns)
        if deal.id not in self._best_writers:
            self._best_writers[deal.id] = asyncio.create_task(self._best_writer(deal.id))

    async def _best_writer(self, deal_id: int) -> None:
        try:
            while (due := self._best_due.pop(deal_id, None)) is not None:
                price, seen_ns = due
                try:
                    await self._deals.raise_best_price(deal_id, price, seen_ns)
                except Exception as exc:
                    log.warning("trader.best_price_not_saved", deal=deal_id, price=format(price, "f"), error=str(exc))
        finally:
            self._best_writers.pop(deal_id, None)

    async def close_watched(self, deal: Deal, reason: CloseReason, *, note: str = "") -> Deal | None:
        """Close a watched position whose level the price crossed; the deal records which one (and ``note``).

        Decided from the watched positions in memory (under the position's lock, as committed): no database read
        before the order. The close's client id is fixed by its BUY, so a second attempt finds the first order, and
        the deals table's unique indexes refuse a second record of it.
        """
        async with self._lock((deal.exchange, deal.category, deal.symbol, deal.source)):
            position = self._watched.get(deal)
            if position is None:  # closed since the tick was read
                return None
            current, unfinished = position.deal, position.unfinished
            cid = deal_client_order_id(deal.signal_id, "x") if unfinished is None else unfinished.client_order_id
            try:
                if unfinished is None:
                    return await self._close(current, reason, cid, deal.signal_id, record_first=False, note=note)
                return await self._finish_close(current, unfinished)
            except ExchangeError as exc:  # the next trade tries again, reconciling first
                log.warning("trader.protection_close_failed", symbol=deal.symbol, source=deal.source, error=str(exc))
                return None
            except DealConflict as exc:  # the table no longer holds this position open: another writer closed it
                self._unwatch(current)
                self._differ(current, f"the close {cid} was sent, but the deals table refused to record it ({exc})")
                return None

    # --- views ------------------------------------------------------------------------------------

    async def report(self) -> PnlReport:
        """Open positions marked at the exchanges' last prices, realised and unrealised PnL, and the differences."""
        deals = await self._deals.deals(limit=100_000)
        marks: dict[tuple[str, str, str], Decimal | None] = {}
        for deal in deals:
            key = (deal.exchange, deal.category.value, deal.symbol)
            if deal.is_open and key not in marks:
                marks[key] = await self._mark(deal)
        return pnl_report(reversed(deals), marks, self.differences)

    async def _mark(self, deal: Deal) -> Decimal | None:
        gateway = self._gateways.get(deal.exchange)
        if gateway is None:
            return None
        try:
            ticker = await gateway.fetch_ticker(deal.category, deal.symbol)
        except ExchangeError:
            return None
        return ticker.last if ticker.last is not None else ticker.mid

    @property
    def exchanges(self) -> list[str]:
        return sorted(self._gateways)

    async def balances(self, exchange: str) -> dict[str, Balance]:
        """The account's balances on ``exchange`` (KeyError if the trader has no gateway of that name)."""
        return await self._gateways[exchange].fetch_balances()

    async def deals(self, *, source: str | None = None, symbol: str | None = None, limit: int = 500) -> list[Deal]:
        return await self._deals.deals(source=source, symbol=symbol, limit=limit)


def _seen_ms(deal: Deal) -> int:
    """When the trader last saw a watched deal's market, as far as the table knows: the later of its entry and the
    moment its best price was seen (no per-deal last-seen time is stored; a deal without a trailing stop has no
    ``best_ns``, so its catch-up reads from the entry: more candles, the same proof)."""
    return max(deal.created_ns, deal.best_ns or 0) // _NS_PER_MS


def _reason_of(sell: Deal) -> CloseReason | None:
    """A SELL signal's close is manual; the trader's own protection close is told by its exit price (None)."""
    return CloseReason.MANUAL if sell.client_order_id.startswith(deal_client_order_id("", "s")[:3]) else None


def _crossed(deal: Deal, price: Decimal) -> CloseReason | None:
    if deal.stop_loss is not None and price <= deal.stop_loss:
        return CloseReason.STOP_LOSS
    if deal.take_profit is not None and price >= deal.take_profit:
        return CloseReason.TAKE_PROFIT
    return None


def _joined(first: str, second: str) -> str:
    return "; ".join(part for part in (first, second) if part)
