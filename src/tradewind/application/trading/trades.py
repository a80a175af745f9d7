"""TradeDesk: the trade objects of the ``buy``/``sell``/``close`` commands, each following its market and closing
itself by its risk strategies.

Commands arrive as ``cmd.trade.<exchange>`` requests on the bus (the desk answers with the trades they opened or
closed); the exchange word picks the gateway (the exchange registry). A trade is stored ``pending`` before its entry
order, whose client id is derived from the trade's key, so a redelivery or a restart looks the order up instead of
sending another; its exit order has a derived id too and is sent once, under the market's lock, after the trade is
marked ``closing``. Prices come from ``md.trade`` of the market, or the ticker every ``poll_interval_s`` where no
trade came since the last look. Each open and close is announced on ``trade.event.<kind>`` once it is stored.
On a linear market each trade's stop-loss / take-profit is also a partial TP / SL pair of its own quantity on the
exchange; that pair's fills (told by their order ids) are the trade's close by the exchange, and the pair is cancelled
before the desk's own exit. Fills of the pair short of the trade's quantity close that part (exactly their value and
fees); the rest is still the trade's where the account's position holds it beyond every other trade's and deal's
share (open again, its pair placed for the rest), else it is missing: closed by something else, no PnL made up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

import structlog

from tradewind.application.messages.codec import MalformedPayload, serve
from tradewind.application.messages.commands import TRADE_COMMAND
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.trade_events import announce
from tradewind.application.messages.trades import (
    TRADE_ANSWER,
    TRADES_CALL,
    TradeAnswer,
    TradesQuery,
)
from tradewind.application.ports.bus import Bus, JsonObject, Message, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.deals import DealRepository
from tradewind.application.ports.exchange import ExchangeError, ExchangeGateway, OrderRejected, UnknownInstrument
from tradewind.application.ports.trades import TradeConflict, TradeRepository
from tradewind.application.trading.fills import FillsLook
from tradewind.application.trading.risk_registry import RiskRegistry
from tradewind.application.trading.rounds import every
from tradewind.application.trading.trade_settings import TRADE_COMMANDS, TradesSettings
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.commands import AmountUnit, CloseAll, CloseTrade, OpenTrade
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.orders import ExecutionFill, OrderIntent, OrderResult, PositionProtection, held_on, net_size
from tradewind.domain.trading.deals import DealStatus, closing_fills, fee_in_quote
from tradewind.domain.trading.events import trade_event
from tradewind.domain.trading.risk import STOP_LOSS, TAKE_PROFIT, TRAILING_STOP, RiskStrategy, first_exit
from tradewind.domain.trading.trades import CLOSED_BY_EXCHANGE, Trade, TradeStatus
from tradewind.domain.values import Category, OrderType, Side

log = structlog.get_logger(__name__)

Market = tuple[str, Category, str]
_POLL_S = 0.2  # between look-ups of an order that has not reported its fill yet
MANUAL = "manual"


class TradeError(ValueError):
    """A trade command the desk refuses (unknown exchange or symbol, nothing to close, order refused): nothing
    changed."""


class TradeDesk:
    """Open trades over one repository and the configured exchanges' gateways."""

    def __init__(
        self,
        trades: TradeRepository,
        gateways: Mapping[str, ExchangeGateway],
        bus: Bus,
        clock: Clock,
        settings: TradesSettings | None = None,
        *,
        registry: RiskRegistry | None = None,
        deals: DealRepository | None = None,
    ) -> None:
        self._trades = trades
        self._deals = deals  # the position manager's deals: their share of an account's position, when one is cut
        self._gateways = dict(gateways)
        self._bus = bus
        self._clock = clock
        self._settings = settings or TradesSettings()
        self._registry = registry or RiskRegistry()
        self._live: dict[Market, dict[int, Trade]] = {}  # open trades by market
        self._strategies: dict[int, list[RiskStrategy]] = {}
        self._locks: dict[Market, asyncio.Lock] = {}
        self._feeds: dict[Market, Subscription] = {}
        self._ticked: set[Market] = set()  # markets that had an md.trade since the last poll
        self._served: list[Subscription] = []
        self._stopping = asyncio.Event()

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reconcile the stored trades with the exchanges, then answer trade commands and the list."""
        await self.reconcile()
        self._served.append(await self._bus.serve(TRADE_COMMANDS, self._on_command))
        self._served.append(await serve(self._bus, TRADES_CALL, self._list, lambda e: TradeAnswer(error=str(e))))

    async def run(self) -> None:
        """Poll the ticker of markets that had no ``md.trade`` since the last look, until ``stop``."""
        self._stopping.clear()
        await every(self._clock, self._settings.poll_interval_s, self._stopping, self.poll, "trades.poll_failed")

    async def stop(self) -> None:
        self._stopping.set()
        for subscription in [*self._served, *self._feeds.values()]:
            await subscription.cancel()
        self._served.clear()
        self._feeds.clear()

    # --- commands ---------------------------------------------------------------------------------

    async def _on_command(self, message: Message) -> JsonObject:
        try:
            event = TRADE_COMMAND.decode(message.payload)
        except MalformedPayload as exc:  # answered, so the sender hears why instead of timing out
            log.error("trades.command_refused", topic=message.topic, reason=str(exc))
            return TRADE_ANSWER.encode(TradeAnswer(error=f"malformed trade command: {exc}"))
        try:
            trades = await self.handle(event, key=event.key or message.message_id)
        except TradeError as exc:
            return TRADE_ANSWER.encode(TradeAnswer(error=str(exc)))
        return TRADE_ANSWER.encode(TradeAnswer(tuple(trades)))

    async def handle(self, event: TradeCommandEvent, *, key: str) -> list[Trade]:
        """Carry out one trade command; ``key`` identifies an open (the same key never opens twice)."""
        if event.dry:
            raise TradeError("a dry command is answered by the command service and never reaches the desk")
        command = event.command
        match command:
            case OpenTrade():
                return [await self.open(command, key)]
            case CloseTrade():
                return await self.close_market(command)
            case CloseAll():
                return await self.close_all(command.exchange)

    async def _list(self, query: TradesQuery) -> TradeAnswer:
        return TradeAnswer(tuple(await self.trades(query.exchange, live_only=query.live_only)))

    async def trades(self, exchange: str | None = None, *, live_only: bool = True) -> list[Trade]:
        found = await self._trades.live() if live_only else await self._trades.recent()
        return [t for t in found if exchange in (None, t.exchange)]

    def _gateway(self, exchange: str | None) -> ExchangeGateway:
        gateway = self._gateways.get(exchange or "")
        if gateway is None:
            raise TradeError(f"no exchange {exchange!r} here (configured: {', '.join(sorted(self._gateways))})")
        return gateway

    def _instrument(self, gateway: ExchangeGateway, category: Category, symbol: str) -> Instrument:
        try:
            return gateway.instrument(category, symbol)
        except UnknownInstrument as exc:
            raise TradeError(str(exc)) from None

    # --- open -------------------------------------------------------------------------------------

    async def open(self, command: OpenTrade, key: str) -> Trade:
        """Place the entry order and open the trade; the same ``key`` returns the trade it opened before."""
        known = await self._trades.by_key(key)
        if known is not None:
            return known
        gateway = self._gateway(command.exchange)
        assert command.exchange is not None
        inst = self._instrument(gateway, command.category, command.symbol)
        risk = {**self._settings.risk, **_risk_of(command)}
        try:
            self._registry.strategies(risk)
        except ValueError as exc:
            raise TradeError(str(exc)) from None
        qty = await self._quantity(command, gateway, inst)
        pending = Trade(
            None, key, self._clock.now_ns(), command.exchange, command.category, command.symbol, command.side, qty,
            TradeStatus.PENDING, risk,
        )  # fmt: skip
        try:
            pending = await self._trades.insert(pending)
        except TradeConflict:
            again = await self._trades.by_key(key)
            if again is None:
                raise
            return again
        intent = OrderIntent(
            pending.entry_order_id, command.exchange, command.category, command.symbol, command.side,
            OrderType.MARKET if command.limit_price is None else OrderType.LIMIT, qty, command.limit_price,
        )  # fmt: skip
        return await self._complete_open(pending, gateway, inst, intent)

    async def _quantity(self, command: OpenTrade, gateway: ExchangeGateway, inst: Instrument) -> Decimal:
        amount = command.amount
        if command.unit is AmountUnit.QUOTE:
            price = command.limit_price
            if price is None:
                try:
                    ticker = await gateway.fetch_ticker(command.category, command.symbol)
                except ExchangeError as exc:
                    raise TradeError(f"the price of {command.symbol} cannot be asked: {exc}") from None
                price = (ticker.ask if command.side is Side.BUY else ticker.bid) or ticker.last
                if price is None:
                    raise TradeError(f"{command.symbol} has no price yet: give the amount in base (… base)")
            amount = amount / price
        qty = inst.floor_qty(amount)
        if qty <= 0:
            raise TradeError(f"{command.amount} {command.unit.value} is less than one lot of {command.symbol}")
        return qty

    async def _complete_open(
        self, trade: Trade, gateway: ExchangeGateway, inst: Instrument, intent: OrderIntent | None
    ) -> Trade:
        assert trade.id is not None
        try:
            # Since the trade's creation: Bybit's order history answers 7 days unless told from when.
            result = await gateway.fetch_order(
                trade.category, trade.symbol, trade.entry_order_id, since_ns=trade.created_ns
            )
            if result is None and intent is not None:  # reconcile first: never a second entry order
                result = await gateway.place_order(intent)
            if result is not None:
                result = await self._settled(gateway, trade, trade.entry_order_id, result)
        except (OrderRejected, FilterError) as exc:
            await self._trades.delete(trade.id)
            raise TradeError(f"the exchange refused the order: {exc}") from None
        if result is not None and not result.is_final and intent is not None and intent.price is not None:
            with contextlib.suppress(ExchangeError):  # a limit not reached in time: what filled is the trade
                result = await gateway.cancel_order(trade.category, trade.symbol, trade.entry_order_id)
        if result is None or result.filled_qty <= 0 or result.avg_price is None:
            await self._trades.delete(trade.id)
            reason = "no order" if result is None else result.reject_reason or f"the order ended {result.state.value}"
            raise TradeError(f"nothing filled: {reason}")
        base_fee = result.fee if result.fee_currency == inst.base else Decimal(0)
        fee = fee_in_quote(result.fee, result.fee_currency, result.avg_price, inst)
        opened = trade.opened(result.filled_qty - base_fee, result.avg_price, fee)
        opened = await self._protect(opened, gateway, inst)
        await self._trades.save(opened)
        log.info(
            "trades.opened", trade=opened.id, exchange=opened.exchange, symbol=opened.symbol, side=opened.side.value,
            qty=str(opened.qty), price=str(opened.entry_price), risk={k: str(v) for k, v in opened.risk.items()},
        )  # fmt: skip
        await announce(self._bus, trade_event(opened, inst, self._clock.now_ns()))
        await self._follow(opened)
        return opened

    async def _settled(self, gateway: ExchangeGateway, trade: Trade, cid: str, result: OrderResult) -> OrderResult:
        """The order once it reported its fill (or ended), or as it stands after ``fill_wait_s``."""
        waited = 0.0
        while not result.is_final and result.filled_qty < trade.open_qty and waited < self._settings.fill_wait_s:
            await self._clock.sleep(_POLL_S)
            waited += _POLL_S
            result = await gateway.fetch_order(trade.category, trade.symbol, cid, since_ns=trade.created_ns) or result
        return result

    async def _protect(self, trade: Trade, gateway: ExchangeGateway, inst: Instrument) -> Trade:
        """Stop-loss and take-profit also on the exchange where it keeps them (linear): a pair of the trade's own.

        Each trade gets a TP / SL pair of its quantity (Bybit's Partial mode), never the symbol's one set: other trades
        and the position manager's deals on the symbol keep their own levels, and the pair's order ids tell this
        trade's close by the exchange from anyone else's. The trailing stop stays watched here only: the exchange
        keeps one per symbol, not per size.
        """
        if self._settings.protection != "exchange" or trade.category is not Category.LINEAR:
            return trade
        levels = {s.name: s.level(trade, inst) for s in self._registry.strategies(trade.risk)}
        trailing = ""
        if TRAILING_STOP in trade.risk:
            trailing = "trailing stop watched here: the exchange keeps one per symbol"
        if not levels.get(TAKE_PROFIT) and not levels.get(STOP_LOSS):
            return replace(trade, note=trailing)
        protection = PositionProtection(
            levels.get(TAKE_PROFIT), levels.get(STOP_LOSS), size=inst.floor_qty(trade.open_qty)
        )
        try:
            orders = await gateway.set_protection(trade.category, trade.symbol, protection)
        except ExchangeError as exc:  # ProtectionUnsupported (ccxt's unified API, levels refused): watched here
            log.warning("trades.protection_refused", trade=trade.id, reason=str(exc))
            return replace(
                trade, protected_on_exchange=False, tp_order_id="", sl_order_id="",
                note="the exchange refused position protection: watched here only",
            )  # fmt: skip
        return replace(
            trade, protected_on_exchange=True, tp_order_id=orders.take_profit_id, sl_order_id=orders.stop_loss_id,
            note=trailing,
        )  # fmt: skip

    # --- following the price ----------------------------------------------------------------------

    async def _follow(self, trade: Trade) -> None:
        assert trade.id is not None
        market = (trade.exchange, trade.category, trade.symbol)
        self._strategies[trade.id] = self._registry.strategies(trade.risk)
        self._live.setdefault(market, {})[trade.id] = trade
        if market not in self._feeds:
            topic = f"md.trade.{trade.exchange}.{trade.category.value}.{trade.symbol}"
            self._feeds[market] = await self._bus.subscribe(topic, self._on_tick)

    def _forget(self, trade: Trade) -> None:
        if trade.id is not None:
            self._live.get((trade.exchange, trade.category, trade.symbol), {}).pop(trade.id, None)
            self._strategies.pop(trade.id, None)

    async def _on_tick(self, message: Message) -> None:
        tick = TRADE.decode(message.payload)
        market = (tick.ref.exchange, tick.ref.category, tick.ref.symbol)
        self._ticked.add(market)
        await self.on_price(market, tick.price)

    async def poll(self) -> None:
        """The ticker's last price of every market with open trades and no ``md.trade`` since the last poll; then the
        fills of the trades' own TP / SL pairs (closed by the exchange meanwhile?)."""
        quiet = [m for m, live in self._live.items() if live and m not in self._ticked]
        self._ticked.clear()
        for market in quiet:
            try:
                ticker = await self._gateways[market[0]].fetch_ticker(market[1], market[2])
            except ExchangeError as exc:
                log.warning("trades.ticker_failed", exchange=market[0], symbol=market[2], error=str(exc))
                continue
            price = ticker.last if ticker.last is not None else ticker.mid
            if price is not None:
                await self.on_price(market, price)
        await self.sync_protected()

    async def sync_protected(self) -> list[Trade]:
        """Record the trades whose own TP / SL pair the exchange fired since the last look (one fills query per
        market, FillsLook); the trades it closed (in whole, or in part: those still open with the rest)."""
        closed = []
        for market in [m for m, live in self._live.items() if any(t.protection_orders.ids for t in live.values())]:
            gateway = self._gateways[market[0]]
            async with self._lock(market):
                live = [t for t in self._live.get(market, {}).values() if t.protection_orders.ids]
                look = FillsLook(live)
                try:  # every read first: a failed one records nothing of the market this look
                    fired = [(t, own) for t in live if (own := _fills_of(t, await look.fills(gateway, t)))]
                except ExchangeError as exc:
                    log.warning("trades.fills_failed", exchange=market[0], symbol=market[2], error=str(exc))
                    continue
                for trade, own in fired:
                    done = await self._pair_fired(trade, gateway, gateway.instrument(market[1], market[2]), own)
                    closed += [done] if done is not None else []
        return closed

    async def on_price(self, market: Market, price: Decimal) -> list[Trade]:
        """Follow ``price`` with every open trade of ``market``; the trades its strategies closed."""
        closed = []
        async with self._lock(market):
            for trade in list(self._live.get(market, {}).values()):
                assert trade.id is not None
                inst = self._gateways[trade.exchange].instrument(trade.category, trade.symbol)
                moved = trade.followed(price)
                reason = first_exit(self._strategies[trade.id], moved, price, inst)
                if reason is not None:
                    done = await self._close(moved, reason, price)
                    if done is not None:
                        closed.append(done)
                elif moved is not trade:
                    self._live[market][trade.id] = moved
                    await self._trades.save(moved)
        return closed

    def _lock(self, market: Market) -> asyncio.Lock:
        return self._locks.setdefault(market, asyncio.Lock())

    # --- close ------------------------------------------------------------------------------------

    async def close_market(self, command: CloseTrade) -> list[Trade]:
        market = (command.exchange or "", command.category, command.symbol)
        self._gateway(command.exchange)
        async with self._lock(market):
            found = list(self._live.get(market, {}).values())
            if not found:
                raise TradeError(f"no open trade of {command.symbol} on {command.exchange}")
            return [t for t in [await self._close(t, MANUAL, None) for t in found] if t is not None]

    async def close_all(self, exchange: str | None) -> list[Trade]:
        closed: list[Trade] = []
        for market in [m for m in self._live if exchange in (None, m[0])]:
            async with self._lock(market):
                for trade in list(self._live.get(market, {}).values()):
                    done = await self._close(trade, MANUAL, None)
                    if done is not None:
                        closed.append(done)
        return closed

    async def _close(self, trade: Trade, reason: str, trigger: Decimal | None) -> Trade | None:
        """Close ``trade`` at market, under its market's lock: ``closing`` stored first, the exit order (its derived
        client id, looked up before any send) once; None if the exchange refused (the trade stays open).

        A trade with its own TP / SL pair is closed by the pair's fills if one fired; else the pair is cancelled
        before the exit, as a close shrinking the position under it would make the exchange cut the oldest partial
        orders, perhaps another trade's or deal's.
        """
        gateway = self._gateways[trade.exchange]
        inst = gateway.instrument(trade.category, trade.symbol)
        if trade.status is not TradeStatus.CLOSING:
            trade = replace(trade, status=TradeStatus.CLOSING)
            await self._trades.save(trade)
        unprotected = False
        try:
            result = await gateway.fetch_order(
                trade.category, trade.symbol, trade.exit_order_id, since_ns=trade.created_ns
            )
            if result is None and trade.protection_orders.ids:
                fired = await self._fired(trade, gateway)
                if not fired and not await gateway.cancel_protection(
                    trade.category, trade.symbol, trade.protection_orders
                ):  # one of the pair fired (or ended) meanwhile: its fills say which
                    fired = await self._fired_within(trade, gateway)
                if fired:
                    part = await self._part_filled(trade, gateway, inst, fired)
                    if part is None:  # the fired order still fills: its fills close the trade at a later look
                        await self._reopen(trade, gateway, inst, False)
                        return None
                    if part.status is TradeStatus.CLOSED:
                        return await self._announce_closed(part, inst)
                    trade = replace(
                        part, status=TradeStatus.CLOSING, protected_on_exchange=False, tp_order_id="", sl_order_id=""
                    )
                    await self._trades.save(trade)  # its pair closed a part: the exit below closes the rest
                unprotected = True
            elif result is None and trade.protected_on_exchange and await self._flat(trade, gateway):
                # Whole-position protection of a trade opened before the pairs (migration 0018): no fills name it.
                price = trigger or trade.best_price or Decimal(0)
                return await self._record(trade, inst, CLOSED_BY_EXCHANGE, price, Decimal(0), by_exchange=True)
            if result is None:
                intent = OrderIntent(
                    trade.exit_order_id, trade.exchange, trade.category, trade.symbol, trade.exit_side,
                    OrderType.MARKET, inst.floor_qty(trade.open_qty), reduce_only=trade.category is Category.LINEAR,
                )  # fmt: skip
                result = await gateway.place_order(intent)
            result = await self._settled(gateway, trade, trade.exit_order_id, result)
        except (OrderRejected, FilterError, ExchangeError) as exc:
            log.warning("trades.close_failed", trade=trade.id, reason=str(exc))
            await self._reopen(trade, gateway, inst, unprotected)
            return None
        if result.filled_qty <= 0 or result.avg_price is None:
            log.warning("trades.close_failed", trade=trade.id, reason=result.reject_reason or result.state.value)
            await self._reopen(trade, gateway, inst, unprotected)
            return None
        fee = fee_in_quote(result.fee, result.fee_currency, result.avg_price, inst)
        value = await self._exit_value(trade, gateway, result)
        if result.filled_qty < inst.floor_qty(trade.open_qty):  # the exit filled short: the rest is still held
            part = trade.realised(result.filled_qty, value, fee)
            note = f"its exit closed {result.filled_qty} of {trade.open_qty}"
            log.warning("trades.difference", trade=trade.id, difference=note)
            await self._reopen(replace(part, note=note), gateway, inst, unprotected)
            return None
        # What is left below one lot (a spot buy's base-coin fee) no order can sell: no PnL is counted for it.
        dust = trade.open_qty - result.filled_qty
        done = trade.realised(result.filled_qty, value, fee, missing=max(dust, Decimal(0)))
        return await self._announce_closed(done.ended(reason, self._clock.now_ns()), inst)

    async def _exit_value(self, trade: Trade, gateway: ExchangeGateway, result: OrderResult) -> Decimal:
        """The exit's exact value (sum of price x qty of its fills), or its average price x quantity where its fills
        do not (yet) add up to what it filled."""
        assert result.avg_price is not None
        fills = await gateway.fetch_fills(trade.category, trade.symbol, client_order_id=trade.exit_order_id)
        if sum((f.qty for f in fills), Decimal(0)) == result.filled_qty:
            return sum((f.price * f.qty for f in fills), Decimal(0))
        return result.avg_price * result.filled_qty

    async def _reopen(self, trade: Trade, gateway: ExchangeGateway, inst: Instrument, unprotected: bool) -> Trade:
        """The exchange refused the close: the trade is open again (``unprotected``: with a new TP / SL pair, its own
        having been cancelled for the close, or watched here only if the exchange refuses that too)."""
        reopened = replace(trade, status=TradeStatus.OPEN)
        if unprotected:
            bare = replace(reopened, protected_on_exchange=False, tp_order_id="", sl_order_id="")
            reopened = await self._protect(bare, gateway, inst)
        await self._trades.save(reopened)
        assert reopened.id is not None
        live = self._live.get((trade.exchange, trade.category, trade.symbol), {})
        if reopened.id in live:  # followed from now on with its new pair's ids
            live[reopened.id] = reopened
        return reopened

    async def _fired(self, trade: Trade, gateway: ExchangeGateway) -> list[ExecutionFill]:
        """The fills of the trade's own TP / SL orders: the exchange's close of this trade, whoever else holds the
        symbol."""
        return _fills_of(trade, await gateway.fetch_fills(trade.category, trade.symbol, since_ns=trade.created_ns))

    async def _fired_within(self, trade: Trade, gateway: ExchangeGateway) -> list[ExecutionFill]:
        """The pair's fills once reported, waiting up to ``fill_wait_s``: an exit sent while a fired stop's fills
        lag would sell that quantity twice, the second time out of another trade's or deal's share (reduce-only
        caps it at the position, not at this trade)."""
        fired = await self._fired(trade, gateway)
        waited = 0.0
        while not fired and waited < self._settings.fill_wait_s:
            await self._clock.sleep(_POLL_S)
            waited += _POLL_S
            fired = await self._fired(trade, gateway)
        if not fired:  # ended without firing (cut by the exchange as the position shrank): the desk's exit closes it
            log.warning("trades.difference", trade=trade.id, difference="its TP / SL pair ended without a fill")
        return fired

    async def _pair_fired(
        self, trade: Trade, gateway: ExchangeGateway, inst: Instrument, fills: list[ExecutionFill]
    ) -> Trade | None:
        """The trade's own TP / SL pair fired: closed by its fills, or in part (then open with the rest, its pair
        placed again for it, or watched here if the exchange refuses the levels now); None while the fired order
        still fills."""
        part = await self._part_filled(trade, gateway, inst, fills)
        if part is None:
            return None
        if part.status is TradeStatus.CLOSED:
            return await self._announce_closed(part, inst)
        bare = replace(part, protected_on_exchange=False, tp_order_id="", sl_order_id="")
        again = await self._protect(bare, gateway, inst)
        again = replace(again, note="; ".join(n for n in (part.note, again.note) if n))
        await self._trades.save(again)
        assert again.id is not None
        live = self._live.get((trade.exchange, trade.category, trade.symbol), {})
        if again.id in live:
            live[again.id] = again
        else:
            await self._follow(again)
        log.info(
            "trades.partly_closed", trade=again.id, symbol=again.symbol, closed=str(again.closed_qty),
            open=str(again.open_qty), missing=str(again.missing_qty), pnl=str(again.pnl()),
        )  # fmt: skip
        await announce(self._bus, trade_event(again, inst, self._clock.now_ns()))
        return again

    async def _part_filled(
        self, trade: Trade, gateway: ExchangeGateway, inst: Instrument, fills: list[ExecutionFill]
    ) -> Trade | None:
        """The trade with its pair's fills realised (exactly their value and fees), not stored: closed when they
        cover what it holds; else the rest it still holds on the exchange stays open and what the position no longer
        holds is missing (see ``_still_held``). None while the fired order still works (its fills come in pieces)."""
        done = closing_fills(fills, inst)
        value = sum((f.price * f.qty for f in fills), Decimal(0))
        reason = TAKE_PROFIT if fills[0].order_id == trade.tp_order_id else STOP_LOSS
        rest = trade.open_qty - done.qty  # below zero: realised() refuses, the pair is sized at what the trade holds
        if rest <= 0:
            return trade.realised(done.qty, value, done.fee).ended(reason, done.ts_ns, by_exchange=True)
        open_ids = {o.exchange_order_id for o in await gateway.fetch_open_orders(trade.category, trade.symbol)}
        if open_ids.intersection(trade.protection_orders.ids):
            log.info("trades.pair_filling", trade=trade.id, filled=str(done.qty), of=str(trade.open_qty))
            return None
        kept = await self._still_held(trade, gateway, rest)
        part = trade.realised(done.qty, value, done.fee, missing=rest - kept)
        text = f"its {reason.replace('_', ' ')} on the exchange closed {done.qty} of {trade.open_qty}"
        if kept:
            text += f"; {kept} still open"
        if rest - kept:
            text += f"; {rest - kept} no longer held on the exchange, closed by something else: no PnL counted for it"
        log.warning("trades.difference", trade=trade.id, difference=text)
        part = replace(part, note=text, close_reason=reason, closed_ns=done.ts_ns, closed_by_exchange=True)
        return part.ended(reason, done.ts_ns, by_exchange=True) if not kept else replace(part, status=TradeStatus.OPEN)

    async def _still_held(self, trade: Trade, gateway: ExchangeGateway, rest: Decimal) -> Decimal:
        """How much of ``rest`` the account's position still holds for this trade: the position beyond every other
        open trade's and deal's share of it (on the same account), at most ``rest``. A position shrunk under the
        partial TP / SL orders has them cut, oldest first, so a pair may fire for less than its trade holds.

        A share is less the fills of its own pair not recorded yet (fired at the same time). The fills are read before
        the position: a close in between makes the rest look smaller (missing), never larger than the exchange holds.
        """
        fills = await gateway.fetch_fills(trade.category, trade.symbol, since_ns=trade.created_ns)

        def share(qty: Decimal, pair: tuple[str, ...]) -> Decimal:
            return qty - sum((f.qty for f in fills if f.order_id and f.order_id in pair), Decimal(0))

        positions = await gateway.fetch_positions(trade.category)
        size = net_size(positions, trade.symbol)
        others = Decimal(0)
        for other in await self._trades.live():
            if (
                other.id != trade.id and other.status is not TradeStatus.PENDING and other.symbol == trade.symbol
                and other.category is trade.category and self._gateways.get(other.exchange) is gateway
            ):  # fmt: skip
                held = share(other.open_qty, other.protection_orders.ids)
                others += held if other.side is Side.BUY else -held
        for deal in await self._deals.open_deals() if self._deals is not None else []:
            if (
                deal.status is not DealStatus.PENDING and deal.symbol == trade.symbol
                and deal.category is trade.category and self._gateways.get(deal.exchange) is gateway
            ):  # fmt: skip
                others += share(deal.qty, deal.protection_orders.ids)  # a deal is a long position
        mine = size - others if trade.side is Side.BUY else others - size
        return max(Decimal(0), min(rest, mine))

    async def _record(
        self,
        trade: Trade,
        inst: Instrument,
        reason: str,
        price: Decimal,
        fee: Decimal,
        *,
        at_ns: int | None = None,
        by_exchange: bool = False,
    ) -> Trade:
        at = self._clock.now_ns() if at_ns is None else at_ns
        return await self._announce_closed(trade.closed(reason, price, fee, at, by_exchange=by_exchange), inst)

    async def _announce_closed(self, closed: Trade, inst: Instrument) -> Trade:
        await self._trades.save(closed)
        self._forget(closed)
        log.info(
            "trades.closed", trade=closed.id, symbol=closed.symbol, reason=closed.close_reason,
            price=str(closed.close_price), qty=str(closed.closed_qty), missing=str(closed.missing_qty),
            pnl=str(closed.pnl()), by_exchange=closed.closed_by_exchange,
        )  # fmt: skip
        await announce(self._bus, trade_event(closed, inst, self._clock.now_ns()))
        return closed

    async def _flat(self, trade: Trade, gateway: ExchangeGateway) -> bool:
        """Whether the exchange's own protection already closed a linear position (whole-position protection): none
        is held on the trade's side any more (a short trade's position is negative)."""
        positions = await gateway.fetch_positions(trade.category)
        return held_on(positions, trade.symbol, trade.side) <= 0

    # --- reconciliation ---------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """At start: each stored live trade against its exchange's orders, by client order id, and its own TP / SL
        pair's fills (fired while the desk was down: that trade only)."""
        for trade in await self._trades.live():
            gateway = self._gateways.get(trade.exchange)
            if gateway is None:
                log.warning("trades.difference", trade=trade.id, difference=f"no gateway {trade.exchange!r} here")
                continue
            inst = gateway.instrument(trade.category, trade.symbol)
            market = (trade.exchange, trade.category, trade.symbol)
            try:
                async with self._lock(market):
                    if trade.status is TradeStatus.PENDING:
                        with contextlib.suppress(TradeError):  # no order: the command was never carried out
                            await self._complete_open(trade, gateway, inst, None)
                    elif trade.status is TradeStatus.CLOSING:
                        if await self._close(trade, trade.close_reason or MANUAL, None) is None:
                            again = await self._trades.by_key(trade.key)  # reopened, perhaps with a new pair
                            await self._follow(again or replace(trade, status=TradeStatus.OPEN))
                    elif trade.protection_orders.ids:
                        fired = await self._fired(trade, gateway)
                        if fired:
                            done = await self._pair_fired(trade, gateway, inst, fired)
                            if done is None:  # still filling: the next look records it
                                await self._follow(trade)
                        else:
                            await self._follow(await self._check_pair(trade, gateway))
                    else:
                        await self._follow(trade)
            except ExchangeError as exc:
                log.warning("trades.difference", trade=trade.id, difference=f"not reconciled: {exc}")
                await self._follow(trade)

    async def _check_pair(self, trade: Trade, gateway: ExchangeGateway) -> Trade:
        """Neither of the pair fired: both must still be open, or the trade is watched here only (said in a note)."""
        open_ids = {o.exchange_order_id for o in await gateway.fetch_open_orders(trade.category, trade.symbol)}
        gone = [i for i in trade.protection_orders.ids if i not in open_ids]
        if not gone:
            return trade
        text = f"its TP / SL orders {', '.join(gone)} are no longer open on the exchange: watched here only"
        log.warning("trades.difference", trade=trade.id, difference=text)
        trade = replace(trade, note=text)
        await self._trades.save(trade)
        return trade


def _fills_of(trade: Trade, fills: list[ExecutionFill]) -> list[ExecutionFill]:
    ids = trade.protection_orders.ids
    return [f for f in fills if f.order_id and f.order_id in ids]


def _risk_of(command: OpenTrade) -> dict[str, Decimal]:
    pairs = (
        (TRAILING_STOP, command.trailing_stop_pct), (STOP_LOSS, command.stop_loss_pct),
        (TAKE_PROFIT, command.take_profit_pct),
    )  # fmt: skip
    return {name: value for name, value in pairs if value is not None}
