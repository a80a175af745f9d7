"""The small HTTP server of each service: ``/healthz`` (liveness), ``/readyz`` (readiness), ``/metrics``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
import structlog
from aiohttp import web

from tradewind.application.lifecycle import StartupError
from tradewind.application.ports.metrics import Metrics
from tradewind.interfaces.sim_exchange import start_server

log = structlog.get_logger(__name__)

LiveCheck = Callable[[], str | None]  # a problem, or None when fine
ReadyCheck = Callable[[], Awaitable[None]]  # raises with the reason when not ready
Refresh = Callable[[], Awaitable[None]]


class HttpSite:
    """An aiohttp application served on ``host:port`` between ``start`` and ``stop`` (port 0 picks a free one).

    ``what`` names the server and its settings in the StartupError raised when it cannot listen.
    """

    def __init__(self, app: web.Application, host: str, port: int, *, what: str = "the server") -> None:
        self.app, self.host, self.port, self.what = app, host, port, what
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        try:
            self._runner, self.port = await start_server(self.app, self.host, self.port)
        except OSError as exc:
            raise StartupError.cannot_listen(self.what, self.host, self.port, exc) from exc
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class HealthServer:
    """Liveness answers from the event loop itself plus the service's own checks; readiness asks the dependencies."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        liveness: Mapping[str, LiveCheck],
        readiness: Mapping[str, ReadyCheck],
        refresh: Refresh | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        self._metrics = metrics
        self._liveness = dict(liveness)
        self._readiness = dict(readiness)
        self._refresh = refresh
        self._timeout_s = timeout_s
        self._site: HttpSite | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        return app

    async def start(self, host: str, port: int) -> int:
        self._site = HttpSite(self.app(), host, port, what="the health probes (--health-port, distributed.ports)")
        self.port = await self._site.start()
        return self.port

    async def stop(self) -> None:
        if self._site is not None:
            await self._site.stop()

    async def _healthz(self, _request: web.Request) -> web.Response:
        problems = {name: problem for name, check in self._liveness.items() if (problem := check()) is not None}
        return _answer(problems, list(self._liveness))

    async def _readyz(self, _request: web.Request) -> web.Response:
        names = list(self._readiness)
        results = await asyncio.gather(*(self._ready(check) for check in self._readiness.values()))
        return _answer({name: r for name, r in zip(names, results, strict=True) if r is not None}, names)

    async def _ready(self, check: ReadyCheck) -> str | None:
        try:
            async with asyncio.timeout(self._timeout_s):
                await check()
        except TimeoutError:
            return f"no answer within {self._timeout_s} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        if self._refresh is not None:
            try:
                async with asyncio.timeout(self._timeout_s):
                    await self._refresh()
            except Exception as exc:  # stale gauges beat no metrics at all
                self._metrics.count_error("metrics_refresh")
                log.warning("metrics.refresh_failed", error=repr(exc))
        body, content_type = self._metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})


def _answer(problems: Mapping[str, str], checks: list[str]) -> web.Response:
    status = "ok" if not problems else "failing"
    body = {"status": status, "checks": {name: problems.get(name, "ok") for name in checks}}
    return web.json_response(body, status=200 if not problems else 503)


async def probe(base_url: str, path: str, timeout_s: float = 5.0) -> tuple[int, dict[str, object]]:
    """GET ``base_url + path`` and return (HTTP status, JSON body); raises OSError-like errors when unreachable."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
        session.get(base_url.rstrip("/") + path) as response,
    ):
        text = await response.text()
        try:
            body = json.loads(text)
        except ValueError:
            body = {"status": "unreadable", "body": text[:200]}
        return response.status, body if isinstance(body, dict) else {"body": body}
