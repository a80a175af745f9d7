"""The WebSocket endpoints of the Bybit-protocol server: ``/v5/public/spot``, ``/v5/public/linear``, ``/v5/private``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from tradewind.application.venue import SimVenue
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.bybit_v5.ws_private import PrivateHub
from tradewind.interfaces.sim_exchange.bybit_v5.ws_public import PublicHub
from tradewind.interfaces.sim_exchange.bybit_v5.ws_session import BybitSession, Channel, serve_socket
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings
from tradewind.interfaces.sim_exchange.faults import FaultPlan

PUBLIC_PATHS = {Category.SPOT: "/v5/public/spot", Category.LINEAR: "/v5/public/linear"}
PRIVATE_PATH = "/v5/private"


class WebSocketServer:
    """The three endpoints' hubs; also the admin handle (``reset_book``) and what tests inspect."""

    def __init__(self, venue: SimVenue, settings: WebSocketSettings, faults: FaultPlan | None = None) -> None:
        self.settings = settings
        faults = faults if faults is not None else FaultPlan()
        self.public = {c: PublicHub(venue, c, settings, faults) for c in PUBLIC_PATHS}
        self.private = PrivateHub(venue, settings.auth_max_ahead_ms, faults)

    def reset_book(self, category: Category, symbol: str) -> int:
        """Restart the order-book streams of one market: subscribers get a snapshot with ``u`` = 1."""
        hub = self.public.get(category)
        if hub is None:
            raise KeyError(f"no public {category.value} stream")
        return hub.reset_book(symbol)

    def sessions(self) -> list[BybitSession]:
        hubs: list[PublicHub | PrivateHub] = [*self.public.values(), self.private]
        return [s for hub in hubs for s in hub.sessions]

    async def close(self) -> None:
        """Stop the feeds, close every connection and detach from the venue."""
        for hub in self.public.values():
            await hub.close()
        await self.private.close()


WEBSOCKET = web.AppKey("bybit_websocket", WebSocketServer)


def install_websocket(
    app: web.Application, venue: SimVenue, settings: WebSocketSettings, faults: FaultPlan | None = None
) -> WebSocketServer:
    """Add the WebSocket routes to ``app``; the server is reachable as ``app[WEBSOCKET]``."""
    server = WebSocketServer(venue, settings, faults)
    app[WEBSOCKET] = server
    for category, path in PUBLIC_PATHS.items():
        app.router.add_get(path, _endpoint(server.public[category], settings))
    app.router.add_get(PRIVATE_PATH, _endpoint(server.private, settings))

    async def shutdown(_: web.Application) -> None:
        await server.close()

    app.on_shutdown.append(shutdown)
    return server


def _endpoint(channel: Channel, settings: WebSocketSettings) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve_socket(request, channel, settings)

    return handle
