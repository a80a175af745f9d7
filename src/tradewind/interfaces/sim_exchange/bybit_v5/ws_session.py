"""A Bybit WebSocket connection: who it authenticated as, and the dispatch of its ops (ping, subscribe, ...)."""

from __future__ import annotations

from typing import Protocol

import structlog
from aiohttp import web

from tradewind.interfaces.sim_exchange.bybit_v5.ws_protocol import (
    ProtocolError,
    StreamKind,
    WsRequest,
    ack,
    parse_request,
    pong,
)
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings
from tradewind.interfaces.sim_exchange.ws_session import WsSession, serve_session

log = structlog.get_logger(__name__)


class BybitSession(WsSession):
    """A connection to a Bybit endpoint; ``api_key`` is set once it authenticated (private stream only)."""

    def __init__(self, ws: web.WebSocketResponse, queue_limit: int) -> None:
        super().__init__(ws, queue_limit)
        self.api_key: str | None = None


class Channel(Protocol):
    """What serves the ops of one endpoint (ping is answered by the connection itself)."""

    kind: StreamKind

    def now_ms(self) -> int: ...

    def connect(self, session: BybitSession) -> None: ...

    def handle(self, session: BybitSession, request: WsRequest) -> None: ...

    def disconnect(self, session: BybitSession) -> None: ...


async def serve_socket(
    request: web.Request,
    channel: Channel,
    settings: WebSocketSettings,
) -> web.WebSocketResponse:
    """Accept one connection on ``channel`` and serve it until either side closes it or it idles out."""
    # autoping answers control-frame pings (pybit sends them); a frame over max_msg_size is closed with 1009
    ws = web.WebSocketResponse(autoping=True, max_msg_size=settings.max_frame_bytes)
    await ws.prepare(request)
    session = BybitSession(ws, settings.send_queue_limit)
    channel.connect(session)

    def on_binary() -> None:
        error = "error:binary frames are not supported, send JSON text"
        session.send_json(ack(channel.kind, session.conn_id, WsRequest("", ()), error=error))

    await serve_session(
        session,
        on_text=lambda text: _dispatch(channel, session, text),
        on_binary=on_binary,
        on_end=lambda: channel.disconnect(session),
        idle_timeout_s=settings.idle_timeout_s,
        transport=request.transport,
    )
    return ws


def _dispatch(channel: Channel, session: BybitSession, text: str) -> None:
    try:
        request = parse_request(text)
    except ProtocolError as exc:
        session.send_json(ack(channel.kind, session.conn_id, exc.request, error=exc.message))
        return
    if request.op == "ping":
        session.send_json(pong(channel.kind, session.conn_id, request, channel.now_ms()))
        return
    try:
        channel.handle(session, request)
    except Exception as exc:  # a bug must not kill the connection silently
        log.exception("bybit_ws.unhandled_error", op=request.op, conn_id=session.conn_id)
        session.send_json(ack(channel.kind, session.conn_id, request, error=f"error:server error {type(exc).__name__}"))
