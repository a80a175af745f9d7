"""Binance market-stream subscriptions: the requests (SUBSCRIBE, UNSUBSCRIBE, ...), the feeds and their pumps.

Each subscribed stream has one feed shared by its subscribers and polled by one task at the stream's
interval. Push cadence runs on the event loop's monotonic clock; event times (``E``) are venue time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiohttp import web

from tradewind.application.venue import SimVenue
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.binance_spot.depth import DepthFeed, DepthMarket
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.binance_spot.ws_feeds import (
    BookTickerFeed,
    Feed,
    StreamKind,
    StreamName,
    TickerFeed,
    TradeFeed,
    parse_stream,
)
from tradewind.interfaces.sim_exchange.feeds import FeedTopics, every
from tradewind.interfaces.sim_exchange.json_input import JsonInputError, loads
from tradewind.interfaces.sim_exchange.ws_session import WsSession, encode

log = structlog.get_logger(__name__)

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_MAX_ID_LENGTH = 36


class StreamSession(WsSession):
    """A connection to ``/ws`` (raw events) or ``/stream`` (events wrapped as ``{"stream", "data"}``)."""

    def __init__(self, ws: web.WebSocketResponse, queue_limit: int, *, combined: bool) -> None:
        super().__init__(ws, queue_limit)
        self.combined = combined


class RequestError(Exception):
    """A request that cannot be served: Binance's ``{"error": {"code", "msg"}, "id"}``."""

    def __init__(self, code: int, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


class StreamHub:
    """All market streams of the Binance face, the depth books they share with REST, and the connections."""

    def __init__(self, venue: SimVenue, settings: BinanceSpotSettings) -> None:
        self._venue = venue
        self._settings = settings
        self.symbols = {i.symbol.lower(): i for i in venue.instruments(Category.SPOT)}
        self._markets: dict[str, DepthMarket] = {}
        self._topics: FeedTopics[Feed, StreamSession] = FeedTopics()
        self.sessions: set[StreamSession] = set()

    # --- depth shared with REST -------------------------------------------------------------------

    def market(self, symbol: str) -> DepthMarket:
        market = self._markets.get(symbol)
        if market is None:
            market = self._markets[symbol] = DepthMarket(self._venue, symbol)
        return market

    def depth_snapshot_id(self, symbol: str) -> int:
        """Publish what is pending on the symbol's depth streams, then return the book's update id.

        A REST snapshot taken right after is an event boundary of every depth stream (see ``depth``).
        """
        now_ms = self._venue.clock.now_ms()
        for stream, feed in self._topics.feeds():
            if isinstance(feed, DepthFeed) and feed.market.symbol == symbol:
                self._fan_out(stream, feed.poll(now_ms))
        return self.market(symbol).update_id()

    # --- connections ------------------------------------------------------------------------------

    def parse(self, name: str) -> StreamName | None:
        return parse_stream(name, self.symbols)

    def connect(self, session: StreamSession) -> None:
        self.sessions.add(session)

    def disconnect(self, session: StreamSession) -> None:
        for stream in list(session.topics):
            self._leave(session, stream)
        self.sessions.discard(session)

    def subscribe(self, session: StreamSession, streams: list[StreamName]) -> None:
        """Join ``streams`` (already checked); one already joined is left as it is, as Binance does."""
        for stream in streams:
            if stream.name not in session.topics:
                self._join(session, stream)

    def handle(self, session: StreamSession, text: str) -> None:
        """Serve one text frame; every request gets exactly one reply."""
        try:
            request_id, method, params = _parse(text)
            session.send_json(self._serve(session, request_id, method, params))
        except RequestError as exc:
            error = {"error": {"code": exc.code, "msg": exc.message}, "id": exc.request_id}
            session.send_json(error)

    def subscribers(self, stream: str) -> int:
        return len(self._topics.subscribers(stream))

    async def close(self) -> None:
        await self._topics.close()
        await asyncio.gather(*(s.close() for s in list(self.sessions)), return_exceptions=True)

    # --- requests ---------------------------------------------------------------------------------

    def _serve(self, session: StreamSession, request_id: Any, method: str, params: list[Any]) -> dict[str, Any]:
        if method == "SUBSCRIBE":
            streams = self._streams(params, request_id)
            new = {s.name for s in streams} - session.topics
            if len(session.topics) + len(new) > self._settings.max_streams:
                raise RequestError(
                    2,
                    f"Invalid request: too many streams: at most {self._settings.max_streams} per connection",
                    request_id,
                )
            self.subscribe(session, streams)
            return {"result": None, "id": request_id}
        if method == "UNSUBSCRIBE":
            for stream in self._streams(params, request_id):
                self._leave(session, stream.name)
            return {"result": None, "id": request_id}
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(session.topics), "id": request_id}
        if not params or params[0] != "combined":
            raise RequestError(0, "Unknown property", request_id)
        if method == "GET_PROPERTY":
            return {"result": session.combined, "id": request_id}
        if len(params) != 2 or not isinstance(params[1], bool):
            raise RequestError(1, "Invalid value type: expected Boolean", request_id)
        session.combined = params[1]
        return {"result": None, "id": request_id}

    def _streams(self, params: list[Any], request_id: Any) -> list[StreamName]:
        if not params:
            raise RequestError(2, "Invalid request: params must name at least one stream", request_id)
        streams = []
        for name in params:
            if not isinstance(name, str):
                raise RequestError(2, f"Invalid request: stream names must be strings, got {name!r}", request_id)
            stream = self.parse(name)
            if stream is None:
                raise RequestError(2, f"Invalid request: invalid stream {name!r}", request_id)
            streams.append(stream)
        return streams

    # --- feeds ------------------------------------------------------------------------------------

    def _new_feed(self, stream: StreamName) -> Feed:
        s, inst, name = self._settings, stream.instrument, stream.name
        if stream.kind is StreamKind.DEPTH:
            return DepthFeed(self.market(inst.symbol), name, s.depth_interval_ms / 1000)
        if stream.kind is StreamKind.FAST_DEPTH:
            return DepthFeed(self.market(inst.symbol), name, s.fast_depth_interval_ms / 1000)
        if stream.kind is StreamKind.TRADE:
            return TradeFeed(self._venue, inst, name, s.trade_interval_ms / 1000)
        if stream.kind in (StreamKind.TICKER, StreamKind.MINI_TICKER):
            mini = stream.kind is StreamKind.MINI_TICKER
            return TickerFeed(self._venue, inst, name, s.ticker_interval_ms / 1000, mini=mini)
        return BookTickerFeed(self._venue, inst, name, s.trade_interval_ms / 1000)

    def _join(self, session: StreamSession, stream: StreamName) -> None:
        feed = self._topics.feed(stream.name)
        if feed is None:
            new = self._new_feed(stream)
            feed = self._topics.open(stream.name, new, lambda: self._pump(new), name=f"binance-ws-{stream.name}")
        else:
            # What is pending goes to the current subscribers first: the newcomer starts from the next event.
            self._fan_out(stream.name, feed.poll(self._venue.clock.now_ms()))
        self._topics.add(stream.name, session)
        session.topics.add(stream.name)

    def _leave(self, session: StreamSession, stream: str) -> None:
        session.topics.discard(stream)
        self._topics.remove(stream, session)

    async def _pump(self, feed: Feed) -> None:
        def tick() -> None:
            self._fan_out(feed.stream, feed.poll(self._venue.clock.now_ms()))

        await every(feed.interval_s, tick, name=f"binance {feed.stream}")

    def _fan_out(self, stream: str, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        raw = [encode(e) for e in events]
        wrapped: list[str] | None = None
        for session in self._topics.subscribers(stream):
            if session.combined:
                if wrapped is None:
                    wrapped = [encode({"stream": stream, "data": e}) for e in events]
                texts = wrapped
            else:
                texts = raw
            for text in texts:
                session.send(text)


def _parse(text: str) -> tuple[Any, str, list[Any]]:
    """``(id, method, params)`` of one request, or RequestError with Binance's code for what is wrong."""
    try:
        raw = loads(text, decimals=False)
    except JsonInputError as exc:
        raise RequestError(3, f"Invalid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise RequestError(2, "Invalid request: a request must be a JSON object")
    request_id = raw.get("id")
    if not _valid_id(request_id):
        raise RequestError(2, "Invalid request: request ID must be an unsigned integer or a string of up to 36")
    unknown = sorted(set(raw) - {"id", "method", "params"})
    if unknown:
        raise RequestError(2, f"Invalid request: unknown field `{unknown[0]}`", request_id)
    method = raw.get("method")
    if method not in METHODS:
        expected = ", ".join(f"`{m}`" for m in METHODS)
        raise RequestError(2, f"Invalid request: unknown variant `{method}`, expected one of {expected}", request_id)
    params = raw.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise RequestError(2, "Invalid request: params must be an array", request_id)
    return request_id, method, params


def _valid_id(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 2**64
    return isinstance(value, str) and len(value) <= _MAX_ID_LENGTH
