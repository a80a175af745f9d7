"""The web dashboard: the page at ``/``, its static files (``interfaces/web``) and ``GET /events``, a server-sent
event stream of the bus's market-data, TWAP, spread, signal, trader and order messages, throttled.

One bus subscription per app feeds every connected page (a ``LiveHub``). Market data is state: each page keeps only
the newest message of each ``md.*`` topic until its next flush, so a slow page drops intermediate books instead of
growing a queue. Every other message is an event (a signal, a TWAP step, an order's fill): each one is sent, in
order, up to ``MAX_EVENTS`` per page between flushes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BeforeValidator

from tradewind.application.messages.codec import topic_kind
from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.repositories import LogRepository, MarketDataRepository
from tradewind.application.ports.system import SystemStatus
from tradewind.domain.candles import MINUTE_MS, Candle, candle_start, candle_to_payload, check_interval, open_candle
from tradewind.domain.market import InstrumentRef
from tradewind.domain.numbers import parse_int
from tradewind.domain.values import Category

TAG = "dashboard"
# What the page shows live: market data, TWAP progress, spreads, the trader, signals and order events.
PATTERNS = ("md.#", "twap.#", "spread.#", "trader.#", "trade.event.#", "signal.#", "order.#")
FLUSH_S = 0.25  # at most four batches a second per page: enough for a ladder, light on the event loop
HEARTBEAT_S = 1.0  # the page declares the connection lost after a few seconds without any event
COALESCED = "md."  # state: only the newest message of each topic matters; the other kinds are events, all sent
MAX_EVENTS = 500  # events a page keeps between two flushes; a page further behind loses the oldest
RATE_WINDOW_S = 10  # messages per second by topic kind: averaged over the last 10 whole seconds
WEB = "tradewind.interfaces.web"
# Every file the page may load, by its name under /static/ (nothing else is served: no path is ever joined).
CONTENT_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "vendor/uPlot.iife.min.js": "text/javascript; charset=utf-8",
    "vendor/uPlot.min.css": "text/css; charset=utf-8",
    "vendor/uPlot.LICENSE": "text/plain; charset=utf-8",
}
NO_STORE = {"Cache-Control": "no-store"}
LOG_WINDOW_NS = 15 * 60 * 10**9  # the System panel's recent logs: the last 15 minutes ...
LOG_SCAN = 5000  # ... read oldest first up to this many rows, the newest ``limit`` of them shown
MAX_CANDLES = 1500  # a day of one-minute candles: what the price chart's widest window shows


def _read(name: str) -> bytes:
    return resources.files(WEB).joinpath(name).read_bytes()


@dataclass(slots=True, eq=False)  # compared by identity: a set holds the connected pages
class _Page:
    """One connected page: the newest payload per topic since its last flush."""

    pending: dict[str, str] = field(default_factory=dict)  # md topic -> its newest message, encoded
    events: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))  # every other message, in order
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


class LiveHub:
    """Fans the bus's messages out to the connected pages; subscribes on the first page, cancels after the last."""

    def __init__(self, bus: Bus, patterns: tuple[str, ...] = PATTERNS) -> None:
        self._bus, self._patterns = bus, patterns
        self._pages: set[_Page] = set()
        self._subscriptions: list[Subscription] = []
        self._lock = asyncio.Lock()
        self.closing = False
        self.rates = Rates()

    @property
    def pages(self) -> int:
        return len(self._pages)

    async def _on_message(self, message: Message) -> None:
        # Encoded once here, not once per page: with 20 pages the JSON would otherwise cost 20 times over.
        now = time.time()
        self.rates.count(topic_kind(message.topic), now)
        event = _json({"topic": message.topic, "at": now, "payload": message.payload})
        coalesced = message.topic.startswith(COALESCED)
        for page in self._pages:
            if coalesced:
                page.pending[message.topic] = event
            else:
                page.events.append(event)
            page.ready.set()

    async def attach(self) -> _Page:
        page = _Page()
        async with self._lock:
            if not self._subscriptions:
                for pattern in self._patterns:
                    self._subscriptions.append(await self._bus.subscribe(pattern, self._on_message))
            self._pages.add(page)
        return page

    async def detach(self, page: _Page) -> None:
        async with self._lock:
            self._pages.discard(page)
            if not self._pages:
                subscriptions, self._subscriptions = self._subscriptions, []
                for subscription in subscriptions:
                    await subscription.cancel()

    def close(self) -> None:
        """Ends every stream: the server is stopping (an open stream would keep uvicorn waiting for it)."""
        self.closing = True
        for page in self._pages:
            page.closed = True
            page.ready.set()

    async def stream(self, flush_s: float = FLUSH_S, heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[str]:
        """Server-sent events: ``hello`` first, then batches of ``bus`` events and a ``beat`` when nothing moved."""
        page = await self.attach()
        try:
            yield _sse("hello", {"at": time.time(), "patterns": list(self._patterns)})
            while not page.closed and not self.closing:
                try:
                    await asyncio.wait_for(page.ready.wait(), heartbeat_s)
                except TimeoutError:
                    yield _sse("beat", {"at": time.time()})
                    continue
                await asyncio.sleep(flush_s)  # coalesce: whatever arrives meanwhile replaces older values
                page.ready.clear()
                batch, page.pending = [*page.pending.values(), *page.events], {}
                page.events.clear()
                if batch:
                    yield f'event: bus\ndata: {{"at":{time.time()},"events":[{",".join(batch)}]}}\n\n'
        finally:
            await self.detach(page)


class Rates:
    """Messages per second by topic kind over the last ``window_s`` whole seconds (what the hub received)."""

    def __init__(self, window_s: int = RATE_WINDOW_S) -> None:
        self._window_s = window_s
        self._seconds: deque[tuple[int, Counter[str]]] = deque()
        self.last: dict[str, float] = {}  # kind -> when its newest message came (unix s)

    def count(self, kind: str, now: float) -> None:
        second = int(now)
        if not self._seconds or self._seconds[-1][0] != second:
            self._seconds.append((second, Counter()))
            while self._seconds[0][0] <= second - self._window_s:
                self._seconds.popleft()
        self._seconds[-1][1][kind] += 1
        self.last[kind] = now

    def per_second(self, now: float) -> dict[str, float]:
        """Each kind's rate over the whole seconds before ``now``'s (the current one is still counting)."""
        second = int(now)
        total: Counter[str] = Counter()
        for at, counts in self._seconds:
            if second - self._window_s <= at < second:
                total.update(counts)
        return {kind: round(total[kind] / self._window_s, 2) for kind in sorted(self.last)}


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str, separators=(",", ":"))


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {_json(data)}\n\n"


def _interval(raw: object) -> int:
    """Through the one number parser, then one of the candle intervals (a ValueError names the choices)."""
    return check_interval(parse_int(raw, "interval", low=1, high=1440))


def _limit(raw: object) -> int:
    return parse_int(raw, "limit", low=1, high=MAX_CANDLES)


async def _open_candle(market: MarketDataRepository, ref: InstrumentRef, minutes: int, now_ms: int) -> Candle | None:
    """The candle of ``minutes`` under way at ``now_ms`` from what is recorded: this minute's trades, and the closed
    one-minute candles of its period before this minute (at most a day of them, never a day of trades)."""
    minute_ns = candle_start(now_ms, 1) * 1_000_000
    trades = await market.trades(ref, minute_ns)
    closed = [] if minutes == 1 else await market.candles(ref, 1, candle_start(now_ms, minutes) * 1_000_000)
    return open_candle(ref, minutes, now_ms, closed, trades)


def install_dashboard(
    app: FastAPI,
    bus: Bus | None,
    logs: LogRepository | None = None,
    *,
    market: MarketDataRepository | None = None,
    system: SystemStatus | None = None,
) -> None:
    """Serves the page on ``app``; with a ``bus``, ``/events`` and ``/system`` too, its hub at ``app.state.live_hub``
    and its ``close`` in ``app.state.on_stop`` (``HttpServer.stop`` calls those before stopping); with ``logs``,
    ``/logs``; with the stored ``market`` data, ``/candles``; ``system`` adds services and queues to ``/system``."""
    hub = LiveHub(bus) if bus is not None else None
    app.state.live_hub = hub
    if hub is not None:
        app.state.on_stop = [*getattr(app.state, "on_stop", []), hub.close]
    app.include_router(dashboard_router(hub, logs, market=market, system=system))


def dashboard_router(
    hub: LiveHub | None,
    logs: LogRepository | None = None,
    *,
    market: MarketDataRepository | None = None,
    system: SystemStatus | None = None,
) -> APIRouter:
    """``/``, ``/static/<file>``, with a ``hub`` ``/events`` and ``/system``, with ``logs`` ``/logs``, with ``market``
    ``/candles``."""
    router = APIRouter(tags=[TAG])

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(_read("index.html"), headers=NO_STORE)

    @router.get("/static/{name:path}", include_in_schema=False)
    async def static(name: str) -> Response:
        media = CONTENT_TYPES.get(name)
        if media is None:
            raise HTTPException(404, f"no static file {name[:60]!r}")
        return Response(_read(name), media_type=media, headers=NO_STORE)

    @router.get("/events", include_in_schema=False)
    async def events() -> StreamingResponse:
        """The live stream the page follows (text/event-stream)."""
        if hub is None:
            raise HTTPException(404, "no live events: this process has no bus")
        headers = {**NO_STORE, "X-Accel-Buffering": "no"}
        return StreamingResponse(hub.stream(), media_type="text/event-stream", headers=headers)

    if hub is not None:

        @router.get("/system", tags=[TAG])
        async def system_state() -> dict[str, Any]:
            """The services (components when embedded) and their readiness, the bus queues' lag, and messages per
            second by topic kind as the dashboard's stream receives them (while a page is connected)."""
            now = time.time()
            report = None if system is None else await system.report()
            return {
                "at": now,
                "mode": "unknown" if report is None else report.mode,
                "services": [] if report is None else [
                    {"name": s.name, "ready": s.ready, "detail": s.detail} for s in report.services
                ],
                "queues": [] if report is None else [
                    {"queue": q.queue, "depth": q.depth, "detail": q.detail} for q in report.queues
                ],
                "rates": hub.rates.per_second(now),
                "rates_window_s": RATE_WINDOW_S,
                "last": hub.rates.last,
                "pages": hub.pages,
            }  # fmt: skip

    if market is not None:

        @router.get("/candles", tags=[TAG])
        async def candles(
            exchange: Annotated[str, Query(min_length=1, max_length=32)],
            category: Category,
            symbol: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Z0-9]+$")],
            interval: Annotated[int, Query(), BeforeValidator(_interval)] = 1,
            limit: Annotated[int, Query(ge=1, le=MAX_CANDLES), BeforeValidator(_limit)] = 300,
            *,
            include_open: bool = False,
        ) -> list[dict[str, Any]]:
            """The newest ``limit`` stored candles of ``interval`` minutes of one market, oldest first; prices,
            volume and turnover as decimal strings. ``include_open``: the candle under way last, as it stands
            (``"provisional": true``), from the recorded trades of this minute and one-minute candles before it."""
            ref = InstrumentRef(exchange, category, symbol)
            now_ms = time.time_ns() // 1_000_000
            since_ms = now_ms - (limit + 1) * interval * MINUTE_MS
            stored = await market.candles(ref, interval, since_ms * 1_000_000, limit=limit + 1)
            rows = [candle_to_payload(c) for c in stored]
            current = await _open_candle(market, ref, interval, now_ms) if include_open else None
            if current is not None and (not rows or rows[-1]["start_ms"] < current.start_ms):  # a closed one wins
                rows.append({**candle_to_payload(current), "provisional": True})
            return rows[-limit:]

    if logs is not None:

        @router.get("/logs", tags=[TAG])
        async def recent_logs(
            limit: Annotated[int, Query(ge=1, le=500)] = 50, level: Annotated[str | None, Query(max_length=16)] = None
        ) -> list[dict[str, Any]]:
            """The newest log records of the last 15 minutes (the logs table), newest first; ``level`` filters."""
            since = time.time_ns() - LOG_WINDOW_NS
            records = await logs.query(start_ns=since, limit=LOG_SCAN)
            wanted = [r for r in records if level is None or r.level.lower() == level.lower()]
            return [
                {"ts_ns": r.ts_ns, "level": r.level, "event": r.event, "logger": r.logger, "job_id": r.job_id}
                for r in reversed(wanted[-limit:])
            ]

    return router
