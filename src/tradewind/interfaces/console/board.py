"""What the live terminal view shows, kept up to date from the market-data topics of the bus."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.application.messages.codec import MalformedPayload, topic_kind
from tradewind.application.messages.market import BOOK, MID, TRADE
from tradewind.application.ports.bus import Bus, Message, PoisonMessage, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.domain.market import TradeTick
from tradewind.domain.spread.opportunity import entry_bps

_RATE_WINDOW_NS = 5_000_000_000


@dataclass(slots=True)
class MarketRow:
    """One market's line on the board."""

    exchange: str
    category: str
    symbol: str
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    mid: Decimal | None = None
    last: TradeTick | None = None
    book_seq: int = 0
    trades: int = 0
    matching_key: str = ""

    @property
    def spread(self) -> Decimal | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return self.best_ask - self.best_bid


@dataclass(frozen=True, slots=True)
class GroupSpread:
    """Buy ``long`` at its ask and sell ``short`` at its bid: what that earns now, in bps (before fees)."""

    group: str
    long: MarketRow
    short: MarketRow
    bps: Decimal


@dataclass
class MarketBoard:
    """Best bid/ask, mid, last trades and message rates per market, fed by ``md.#`` events."""

    clock: Clock
    trades_kept: int = 12
    rows: dict[tuple[str, str, str], MarketRow] = field(default_factory=dict)
    recent: deque[TradeTick] = field(init=False)
    _arrivals: deque[int] = field(default_factory=deque)
    messages: int = 0
    _subscription: Subscription | None = None
    where: Callable[[], str] | None = None  # a line saying where things are (ports, database and its size)

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.trades_kept)

    async def attach(self, bus: Bus) -> None:
        self._subscription = await bus.subscribe("md.#", self.on_message)

    async def detach(self) -> None:
        if self._subscription is not None:
            await self._subscription.cancel()
            self._subscription = None

    async def on_message(self, message: Message) -> None:
        kind = topic_kind(message.topic)
        try:
            if kind == TRADE.kind:
                self._on_trade(TRADE.decode(message.payload))
            elif kind == MID.kind:
                mid = MID.decode(message.payload)
                row = self._row(mid.ref.exchange, mid.ref.category.value, mid.ref.symbol)
                row.mid, row.best_bid, row.best_ask = mid.mid, mid.best_bid, mid.best_ask
                row.matching_key = mid.ref.matching_key
            elif kind == BOOK.kind:
                book = BOOK.decode(message.payload)
                row = self._row(book.ref.exchange, book.ref.category.value, book.ref.symbol)
                row.book_seq = book.seq
                row.matching_key = book.ref.matching_key
                if book.bids:
                    row.best_bid, row.bid_size = book.bids[0]
                if book.asks:
                    row.best_ask, row.ask_size = book.asks[0]
        except MalformedPayload as exc:
            raise PoisonMessage(f"{message.topic}: {exc}") from exc
        self.messages += 1
        now = self.clock.now_ns()
        self._arrivals.append(now)
        while self._arrivals and self._arrivals[0] < now - _RATE_WINDOW_NS:
            self._arrivals.popleft()

    def _on_trade(self, trade: TradeTick) -> None:
        row = self._row(trade.ref.exchange, trade.ref.category.value, trade.ref.symbol)
        row.last = trade
        row.trades += 1
        self.recent.appendleft(trade)

    def _row(self, exchange: str, category: str, symbol: str) -> MarketRow:
        key = (exchange, category, symbol)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = MarketRow(exchange, category, symbol)
        return row

    def group_spreads(self) -> list[GroupSpread]:
        """Every ordered pair of markets sharing a matching key (spot/perp both ways), best quotes known."""
        groups: dict[str, list[MarketRow]] = {}
        for row in self.rows.values():
            if row.matching_key and row.best_bid is not None and row.best_ask is not None:
                groups.setdefault(row.matching_key, []).append(row)
        out = []
        for key in sorted(groups):
            rows = sorted(groups[key], key=lambda r: (r.category, r.exchange))
            for long in rows:
                for short in rows:
                    if long is not short and long.best_ask and short.best_bid is not None:
                        out.append(GroupSpread(key, long, short, entry_bps(long.best_ask, short.best_bid)))
        return out

    def message_rate(self) -> float:
        """Messages per second over the last few seconds (for display only)."""
        return len(self._arrivals) / (_RATE_WINDOW_NS / 1e9)
