"""The public streams of one category (``/v5/public/spot``, ``/v5/public/linear``): topics, feeds and their pumps.

Each subscribed topic has one feed, shared by its subscribers and polled by one task at the topic's push
interval (Bybit pushes order books at fixed intervals too, so an aggregated diff per interval is exactly
its behaviour). The feeds read the engines and the venue's tape, so every change shows, the venue's and
the trader swarm's alike. Push cadence runs on the event loop's monotonic clock; ``ts`` is venue time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

import structlog

from tradewind.application.venue import SimVenue
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.bybit_v5.ws_books import BookFeed, MarketBook
from tradewind.interfaces.sim_exchange.bybit_v5.ws_market import TickerFeed, TradeFeed
from tradewind.interfaces.sim_exchange.bybit_v5.ws_protocol import StreamKind, WsRequest, ack
from tradewind.interfaces.sim_exchange.bybit_v5.ws_session import BybitSession
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings
from tradewind.interfaces.sim_exchange.faults import FaultKind, FaultPlan
from tradewind.interfaces.sim_exchange.faults.settings import PUBLIC_WS_KINDS, StallParams
from tradewind.interfaces.sim_exchange.feeds import FeedTopics, every

log = structlog.get_logger(__name__)
_SESSION_FAULTS = frozenset({FaultKind.DISCONNECT, FaultKind.STALL})  # what can hit any message, not only a delta


class Feed(Protocol):
    topic: str
    interval_s: float

    def welcome(self, now_ms: int) -> list[str]: ...

    def poll(self, now_ms: int, mono_s: float) -> list[str]: ...


class PublicHub:
    """Subscriptions and feeds of one category's public endpoint."""

    def __init__(
        self, venue: SimVenue, category: Category, settings: WebSocketSettings, faults: FaultPlan | None = None
    ) -> None:
        self.kind = StreamKind.SPOT if category is Category.SPOT else StreamKind.LINEAR
        self.category = category
        self._venue = venue
        self._settings = settings
        self._symbols = {i.symbol: i for i in venue.instruments(category)}
        self._markets: dict[str, MarketBook] = {}
        self._topics: FeedTopics[Feed, BybitSession] = FeedTopics()
        self.sessions: set[BybitSession] = set()
        self._faults = faults if faults is not None else FaultPlan()
        self._held: dict[str, str] = {}  # a delta a reorder fault holds back until the topic's next one
        self._closing: set[asyncio.Task[None]] = set()

    # --- Channel ----------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return self._venue.clock.now_ms()

    def connect(self, session: BybitSession) -> None:
        self.sessions.add(session)

    def disconnect(self, session: BybitSession) -> None:
        for topic in list(session.topics):
            self._leave(session, topic)
        self.sessions.discard(session)

    def handle(self, session: BybitSession, request: WsRequest) -> None:
        topics = [t for t in request.args if isinstance(t, str)]
        if request.op == "subscribe":
            error = self._check_subscribe(session, request.args)
        elif request.op == "unsubscribe":
            error = self._check_unsubscribe(session, request.args)
        else:
            error = f"error:op {request.op} is not served on the public {self.category.value} stream"
        if error is not None:  # nothing changes
            session.send_json(ack(self.kind, session.conn_id, request, error=error))
            return
        if request.op == "unsubscribe":
            for topic in topics:
                self._leave(session, topic)
        session.send_json(ack(self.kind, session.conn_id, request))
        if request.op == "subscribe":
            for topic in topics:
                self._join(session, topic)

    # --- queries and admin ------------------------------------------------------------------------

    def subscribers(self, topic: str) -> int:
        return len(self._topics.subscribers(topic))

    def reset_book(self, symbol: str) -> int:
        """Restart the book streams of ``symbol``: every subscriber gets a snapshot with ``u`` = 1.

        Returns how many streams were reset. Called by hand (an operator, a test) or when the venue's
        engine for the market was replaced.
        """
        if symbol not in self._symbols:
            raise KeyError(f"no {self.category.value} symbol {symbol!r}; have {sorted(self._symbols)}")
        market = self._markets.get(symbol)
        if market is None:
            return 0
        market.reset()
        loop = asyncio.get_running_loop()
        count = 0
        for topic, feed in self._topics.feeds():
            if isinstance(feed, BookFeed) and feed.market is market:
                self._held.pop(topic, None)  # a delta held back by a fault belongs to the old stream
                self._fan_out(topic, feed.reset(self.now_ms(), loop.time()))
                count += 1
        log.info("bybit_ws.book_reset", category=self.category.value, symbol=symbol, streams=count)
        return count

    async def close(self) -> None:
        await self._topics.close()
        await asyncio.gather(*(s.close() for s in list(self.sessions)), return_exceptions=True)

    # --- subscriptions ----------------------------------------------------------------------------

    def _check_subscribe(self, session: BybitSession, args: tuple[object, ...]) -> str | None:
        error = self._check_args(args)
        if error is not None:
            return error
        for topic in args:
            assert isinstance(topic, str)
            if topic in session.topics:
                return f"error:already subscribed,topic:{topic}"
            if not self._known(topic):
                return f"error:handler not found,topic:{topic}"
        return None

    def _check_unsubscribe(self, session: BybitSession, args: tuple[object, ...]) -> str | None:
        error = self._check_args(args)
        if error is not None:
            return error
        for topic in args:
            if topic not in session.topics:
                return f"error:not subscribed,topic:{topic}"
        return None

    def _check_args(self, topics: tuple[object, ...]) -> str | None:
        if not topics:
            return "error:args is empty: name at least one topic"
        if self.kind is StreamKind.SPOT and len(topics) > self._settings.spot_max_args:
            return f"error:args size {len(topics)} is over the spot limit of {self._settings.spot_max_args} per request"
        bad = next((t for t in topics if not isinstance(t, str)), None)
        if bad is not None:
            return f"error:topics must be strings, got {bad!r}"
        if len(set(topics)) != len(topics):
            return "error:a topic is repeated in args"
        return None

    def _known(self, topic: str) -> bool:
        """Whether ``topic`` names a stream of this category: orderbook.{depth}, publicTrade or tickers of a symbol."""
        parts = topic.split(".")
        if parts[-1] not in self._symbols:
            return False
        if len(parts) == 3 and parts[0] == "orderbook":
            return parts[1].isdigit() and int(parts[1]) in self._settings.book_interval_ms
        return len(parts) == 2 and parts[0] in ("publicTrade", "tickers")

    def _new_feed(self, topic: str) -> Feed:
        kind, *rest = topic.split(".")
        symbol = rest[-1]
        s = self._settings
        if kind == "orderbook":
            depth = int(rest[0])
            market = self._markets.get(symbol)
            if market is None:
                market = self._markets[symbol] = MarketBook(self._venue, self.category, symbol)
            return BookFeed(
                market, depth, s.book_interval_ms[depth] / 1000, s.depth1_refresh_ms / 1000, s.book_u_contiguous
            )
        inst = self._symbols[symbol]
        if kind == "publicTrade":
            return TradeFeed(self._venue, inst, s.trade_interval_ms / 1000)
        ms = s.spot_ticker_interval_ms if self.kind is StreamKind.SPOT else s.linear_ticker_interval_ms
        return TickerFeed(self._venue, inst, ms / 1000)

    def _join(self, session: BybitSession, topic: str) -> None:
        loop = asyncio.get_running_loop()
        now_ms = self.now_ms()
        feed = self._topics.feed(topic)
        if feed is None:
            new = self._new_feed(topic)
            feed = self._topics.open(topic, new, lambda: self._pump(topic, new), name=f"bybit-ws-{topic}")
        # Publish what is pending to the current subscribers first, so the snapshot is the published view.
        self._poll(topic, feed, now_ms, loop.time())
        for text in feed.welcome(now_ms):
            session.send(text)
        self._topics.add(topic, session)
        session.topics.add(topic)

    def _leave(self, session: BybitSession, topic: str) -> None:
        session.topics.discard(topic)
        self._topics.remove(topic, session)

    # --- pumping ----------------------------------------------------------------------------------

    async def _pump(self, topic: str, feed: Feed) -> None:
        loop = asyncio.get_running_loop()

        def tick() -> None:
            self._poll(topic, feed, self.now_ms(), loop.time())

        await every(feed.interval_s, tick, name=f"bybit {topic}")

    def _poll(self, topic: str, feed: Feed, now_ms: int, mono_s: float) -> None:
        if isinstance(feed, BookFeed) and feed.market.replaced():
            self.reset_book(feed.market.symbol)
            return
        messages = feed.poll(now_ms, mono_s)
        if messages and self._faults.has_any(PUBLIC_WS_KINDS):
            deltas = isinstance(feed, BookFeed) and not feed.snapshot_only
            messages = self._with_faults(topic, messages, deltas=deltas, now_ms=now_ms)
        self._fan_out(topic, messages)

    def _with_faults(self, topic: str, messages: list[str], *, deltas: bool, now_ms: int) -> list[str]:
        """What the subscribers of ``topic`` get of ``messages`` under the plan; disconnects and stalls act here."""
        out: list[str] = []
        kinds = PUBLIC_WS_KINDS if deltas else _SESSION_FAULTS
        for text in messages:
            sent = True
            for hit in self._faults.draw(kinds, account=None, route=topic, now_ms=now_ms):
                if hit.kind is FaultKind.DISCONNECT:
                    for session in self._topics.subscribers(topic):
                        self._close_later(session.close(message=b"fault injected: disconnect"))
                    log.info("bybit_ws.fault_disconnect", topic=topic)
                    return []
                if isinstance(hit.params, StallParams):
                    for session in self._topics.subscribers(topic):
                        session.stall(hit.params.stall_ms / 1000)
                elif hit.kind is FaultKind.DROP_DELTA:
                    sent = False
                elif hit.kind is FaultKind.REORDER_DELTA and topic not in self._held:
                    self._held[topic], sent = text, False
            if sent:
                out.append(text)
                held = self._held.pop(topic, None)
                if held is not None:  # the one held back arrives after its successor
                    out.append(held)
        return out

    def _close_later(self, closing: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(closing)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _fan_out(self, topic: str, messages: list[str]) -> None:
        if not messages:
            return
        for session in self._topics.subscribers(topic):
            for text in messages:
                session.send(text)
