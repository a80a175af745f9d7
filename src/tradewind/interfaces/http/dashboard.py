"""The web dashboard: the page at ``/``, its static files (``interfaces/web``) and ``GET /events``, a server-sent
event stream of the bus's market-data, TWAP, spread and trader messages, coalesced per topic and throttled.

One bus subscription per app feeds every connected page (a ``LiveHub``); each page keeps only the newest message of
each topic until its next flush, so a slow page drops intermediate values instead of growing a queue.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.repositories import LogRepository

TAG = "dashboard"
# What the page shows live: market data, TWAP progress, spreads, the trader, signals and order events.
PATTERNS = ("md.#", "twap.#", "spread.#", "trader.#", "trade.event.#", "signal.#", "order.#")
FLUSH_S = 0.25  # at most four batches a second per page: enough for a ladder, light on the event loop
HEARTBEAT_S = 1.0  # the page declares the connection lost after a few seconds without any event
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


def _read(name: str) -> bytes:
    return resources.files(WEB).joinpath(name).read_bytes()


@dataclass(slots=True, eq=False)  # compared by identity: a set holds the connected pages
class _Page:
    """One connected page: the newest payload per topic since its last flush."""

    pending: dict[str, str] = field(default_factory=dict)  # topic -> its newest event, encoded
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

    @property
    def pages(self) -> int:
        return len(self._pages)

    async def _on_message(self, message: Message) -> None:
        # Encoded once here, not once per page: with 20 pages the JSON would otherwise cost 20 times over.
        event = _json({"topic": message.topic, "at": time.time(), "payload": message.payload})
        for page in self._pages:
            page.pending[message.topic] = event
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
                batch, page.pending = list(page.pending.values()), {}
                if batch:
                    yield f'event: bus\ndata: {{"at":{time.time()},"events":[{",".join(batch)}]}}\n\n'
        finally:
            await self.detach(page)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str, separators=(",", ":"))


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {_json(data)}\n\n"


def install_dashboard(app: FastAPI, bus: Bus | None, logs: LogRepository | None = None) -> None:
    """Serves the page on ``app``; with a ``bus``, ``/events`` too, its hub at ``app.state.live_hub`` and its
    ``close`` in ``app.state.on_stop`` (``HttpServer.stop`` calls those before stopping); with ``logs``, ``/logs``."""
    hub = LiveHub(bus) if bus is not None else None
    app.state.live_hub = hub
    if hub is not None:
        app.state.on_stop = [*getattr(app.state, "on_stop", []), hub.close]
    app.include_router(dashboard_router(hub, logs))


def dashboard_router(hub: LiveHub | None, logs: LogRepository | None = None) -> APIRouter:
    """``/``, ``/static/<file>``, with a ``hub`` ``/events`` and with ``logs`` ``/logs``."""
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
