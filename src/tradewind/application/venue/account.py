"""One venue account: its wallet, linear positions, open and past orders, executions, and its margin."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from decimal import ROUND_UP, Decimal

from tradewind.application.venue.model import CoinView, Execution, Order, PositionView, Transaction, WalletView
from tradewind.application.venue.settings import AccountSettings
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import ZERO, LinearPosition, Wallet, initial_margin
from tradewind.domain.venue_accounts.money import MARGIN_QUANTUM

PriceOf = Callable[[str], Decimal | None]  # last price of a linear symbol (or a coin in USDT), None if unknown


class PositionRecord:
    """A linear position plus the bookkeeping Bybit shows beside it."""

    __slots__ = ("created_ms", "position", "seq", "updated_ms")

    def __init__(self, position: LinearPosition, now_ms: int) -> None:
        self.position = position
        self.created_ms = now_ms
        self.updated_ms = now_ms
        self.seq = 0


class VenueAccount:
    """Mutable state of one API key's unified account; the venue is the only writer."""

    def __init__(
        self,
        settings: AccountSettings,
        uid: int,
        default_leverage: Decimal,
        history_size: int,
        taker_rate: Decimal = ZERO,
    ) -> None:
        self.api_key = settings.api_key
        self.margin_mode = settings.margin_mode
        self.taker_rate = taker_rate  # of linear orders: the fees to open and close are reserved with the margin
        self.uid = settings.uid if settings.uid is not None else uid
        self.secret = settings.api_secret.get_secret_value().encode()
        self.start_balances: dict[str, Decimal] = dict(settings.balances)
        self.wallet = Wallet(settings.balances)
        self.default_leverage = default_leverage
        self.positions: dict[str, PositionRecord] = {}
        self.open_orders: dict[str, Order] = {}
        self.history: deque[Order] = deque(maxlen=history_size)
        self.executions: deque[Execution] = deque(maxlen=history_size)
        self.transactions: deque[Transaction] = deque(maxlen=history_size)
        self._links: dict[str, str] = {}  # orderLinkId -> orderId, for every order still known
        self._by_market: dict[tuple[Category, str], dict[str, Order]] = {}  # open orders per market
        self._im_cache: dict[str, Decimal] = {}  # linear symbol -> initial margin of its open orders

    # --- orders -----------------------------------------------------------------------------------

    def link_taken(self, order_link_id: str) -> bool:
        return bool(order_link_id) and order_link_id in self._links

    def add_order(self, order: Order) -> None:
        self.open_orders[order.order_id] = order
        self._market(order)[order.order_id] = order
        self._im_cache.pop(order.symbol, None)
        if order.order_link_id:
            self._links[order.order_link_id] = order.order_id

    def update_order(self, order: Order) -> None:
        """Store the order's new state; a closed order moves to the history."""
        self._im_cache.pop(order.symbol, None)
        if order.status.is_open:
            self.open_orders[order.order_id] = order
            self._market(order)[order.order_id] = order
            return
        self.open_orders.pop(order.order_id, None)
        self._market(order).pop(order.order_id, None)
        if len(self.history) == self.history.maxlen:
            evicted = self.history[0]
            if evicted.order_link_id and self._links.get(evicted.order_link_id) == evicted.order_id:
                del self._links[evicted.order_link_id]
        self.history.append(order)

    def find_order(self, order_id: str = "", order_link_id: str = "") -> Order | None:
        """An open or remembered order by id (which wins) or by link id."""
        if not order_id and order_link_id:
            order_id = self._links.get(order_link_id, "")
        if not order_id:
            return None
        found = self.open_orders.get(order_id)
        if found is not None:
            return found
        return next((o for o in reversed(self.history) if o.order_id == order_id), None)

    def orders_newest_first(self, open_only: bool) -> Iterator[Order]:
        """Open orders newest first, then (unless ``open_only``) closed ones newest first."""
        yield from sorted(self.open_orders.values(), key=lambda o: o.created_ms, reverse=True)
        if not open_only:
            yield from reversed(self.history)

    def conditional_orders(self, symbol: str) -> list[Order]:
        """The linear symbol's open partial TP / SL orders, oldest first."""
        orders = self._by_market.get((Category.LINEAR, symbol), {})
        return [o for o in orders.values() if o.stop_kind is not None and o.stop_kind.is_partial]

    def open_count(self, category: Category, symbol: str) -> int:
        return len(self._by_market.get((category, symbol), ()))

    def _market(self, order: Order) -> dict[str, Order]:
        return self._by_market.setdefault((order.category, order.symbol), {})

    # --- positions and margin ---------------------------------------------------------------------

    def position(self, symbol: str, now_ms: int) -> PositionRecord:
        """The symbol's position record, created flat with the default leverage on first use.

        Every change to a position goes through here, so the symbol's cached order margin is dropped.
        """
        self._im_cache.pop(symbol, None)
        record = self.positions.get(symbol)
        if record is None:
            record = PositionRecord(LinearPosition(symbol, self.default_leverage), now_ms)
            self.positions[symbol] = record
        return record

    def margin_changed(self, symbol: str) -> None:
        """Forget the symbol's cached order margin after its position or leverage changed."""
        self._im_cache.pop(symbol, None)

    def leverage(self, symbol: str) -> Decimal:
        record = self.positions.get(symbol)
        return record.position.leverage if record is not None else self.default_leverage

    def order_margin(self, order: Order) -> Decimal:
        """What an open linear order holds for the part of it that would open or grow a position.

        Bybit's order cost: initial margin + the fee to open (at the order price) + the fee to close (at the
        bankruptcy price), both at the taker rate.
        """
        if order.category is not Category.LINEAR or order.reduce_only or order.order_type is OrderType.MARKET:
            return ZERO
        record = self.positions.get(order.symbol)
        closable = record.position.closable(order.side) if record is not None else ZERO
        opening = max(ZERO, order.leaves_qty - closable)
        if not opening:
            return ZERO
        leverage = self.leverage(order.symbol)
        return initial_margin(opening * order.price, leverage) + order_fees(
            opening * order.price, order.side, leverage, self.taker_rate
        )

    def order_im(self, settle_coin: str) -> Decimal:
        total = ZERO
        for (category, symbol), orders in self._by_market.items():
            if category is not Category.LINEAR or not orders:
                continue
            im = self._im_cache.get(symbol)
            if im is None:
                im = sum((self.order_margin(o) for o in orders.values()), ZERO)
                self._im_cache[symbol] = im
            if next(iter(orders.values())).instrument.quote == settle_coin:
                total += im
        return total

    def position_im(self) -> Decimal:
        return sum((r.position.initial_margin() for r in self.positions.values()), ZERO)

    def reserved(self, coin: str, settle_coin: str = "USDT") -> Decimal:
        """Margin held in ``coin`` on top of its spot locks (only the settle coin holds margin)."""
        if coin != settle_coin:
            return ZERO
        return self.order_im(settle_coin) + self.position_im()

    def available(self, coin: str) -> Decimal:
        return self.wallet.free(coin) - self.reserved(coin)

    # --- views ------------------------------------------------------------------------------------

    def position_view(self, symbol: str, mark: Decimal | None, now_ms: int) -> PositionView:
        record = self.position(symbol, now_ms)
        pos = record.position
        mark_price = mark if mark is not None else pos.avg_price
        return PositionView(
            account=self.api_key,
            symbol=symbol,
            side=pos.side,
            size=abs(pos.size),
            avg_price=pos.avg_price,
            entry_value=pos.entry_value,
            leverage=pos.leverage,
            mark_price=mark_price,
            unrealised_pnl=pos.unrealised_pnl(mark_price) if pos.size else ZERO,
            cur_realised_pnl=pos.cur_realised_pnl,
            cum_realised_pnl=pos.cum_realised_pnl,
            position_im=pos.initial_margin(),
            take_profit=pos.protection.take_profit,
            stop_loss=pos.protection.stop_loss,
            trailing_stop=pos.protection.trailing_stop,
            created_ms=record.created_ms,
            updated_ms=record.updated_ms,
            seq=record.seq,
        )

    def wallet_view(
        self, mark_of: PriceOf, usd_price_of: PriceOf, now_ms: int, settle_coin: str = "USDT"
    ) -> WalletView:
        coins = list(self.wallet.coins())
        upnl = ZERO
        cum_realised = ZERO
        for symbol, record in self.positions.items():
            pos = record.position
            cum_realised += pos.cum_realised_pnl
            mark = mark_of(symbol)
            if pos.size and mark is not None:
                upnl += pos.unrealised_pnl(mark)
        if settle_coin not in coins and self.positions:
            coins.append(settle_coin)
        views = []
        for coin in coins:
            balance, locked = self.wallet.balance(coin), self.wallet.locked(coin)
            settle = coin == settle_coin
            price = Decimal(1) if coin in ("USDT", "USDC") else usd_price_of(coin)
            views.append(
                CoinView(
                    coin=coin,
                    balance=balance,
                    locked=locked,
                    order_im=self.order_im(coin) if settle else ZERO,
                    position_im=self.position_im() if settle else ZERO,
                    unrealised_pnl=upnl if settle else ZERO,
                    cum_realised_pnl=cum_realised if settle else ZERO,
                    usd_value=(balance + (upnl if settle else ZERO)) * price if price is not None else ZERO,
                )
            )
        return WalletView(self.api_key, tuple(views), now_ms)


def order_fees(notional: Decimal, side: Side, leverage: Decimal, taker_rate: Decimal) -> Decimal:
    """Fee to open at ``notional`` plus fee to close at the bankruptcy price, rounded up to 1e-8."""
    if not taker_rate:
        return ZERO
    close = notional * (1 - 1 / leverage) if side is Side.BUY else notional * (1 + 1 / leverage)
    return ((notional + close) * taker_rate).quantize(MARGIN_QUANTUM, rounding=ROUND_UP)
