"""One WebSocket connection: its outgoing queue and writer, and the receive loop that dispatches ops.

Messages are queued synchronously (fan-out happens inside venue operations and feed polls) and written by
one task per connection, so each client sees them in the order they were produced. A client that falls
``send_queue_limit`` messages behind is disconnected: a stream with a gap would corrupt its order book,
and on reconnecting it gets a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from typing import Any, Protocol

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from tradewind.interfaces.bybit_v5.ws_protocol import (
    ProtocolError,
    StreamKind,
    WsRequest,
    ack,
    encode,
    parse_request,
    pong,
)
from tradewind.interfaces.bybit_v5.ws_settings import WebSocketSettings

log = structlog.get_logger(__name__)


class WsSession:
    """A connected client: what it subscribed to, who it authenticated as, and what is waiting to be sent."""

    def __init__(self, ws: web.WebSocketResponse, kind: StreamKind, queue_limit: int) -> None:
        self.ws = ws
        self.kind = kind
        self.conn_id = str(uuid.uuid4())
        self.topics: set[str] = set()
        self.api_key: str | None = None
        self.sent = 0
        self._queue: deque[str] = deque()
        self._limit = queue_limit
        self._wakeup = asyncio.Event()
        self._overflowed = False

    @property
    def open(self) -> bool:
        return not self._overflowed and not self.ws.closed

    def send(self, text: str) -> None:
        """Queue one encoded message; a client too far behind is dropped instead."""
        if self._overflowed:
            return
        if len(self._queue) >= self._limit:
            self._overflowed = True
            self._queue.clear()
            log.warning("bybit_ws.slow_client_dropped", conn_id=self.conn_id, limit=self._limit)
        else:
            self._queue.append(text)
        self._wakeup.set()

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(encode(message))

    async def write_loop(self) -> None:
        """Write queued messages in order until the connection closes (or overflows, which closes it)."""
        queue, ws = self._queue, self.ws
        while not ws.closed:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                while queue and not ws.closed:
                    await ws.send_str(queue.popleft())
                    self.sent += 1
            except ConnectionError:  # the client went away mid-write; the receive loop sees the close
                return
            if self._overflowed:
                await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"send queue overflow: client too slow")
                return

    async def close(self, code: int = WSCloseCode.GOING_AWAY, message: bytes = b"server shutdown") -> None:
        await self.ws.close(code=code, message=message)


class Channel(Protocol):
    """What serves the ops of one endpoint (ping is answered by the connection itself)."""

    kind: StreamKind

    def now_ms(self) -> int: ...

    def connect(self, session: WsSession) -> None: ...

    def handle(self, session: WsSession, request: WsRequest) -> None: ...

    def disconnect(self, session: WsSession) -> None: ...


async def serve_socket(
    request: web.Request,
    channel: Channel,
    settings: WebSocketSettings,
) -> web.WebSocketResponse:
    """Accept one connection on ``channel`` and serve it until either side closes it or it idles out."""
    ws = web.WebSocketResponse(autoping=True)  # autoping answers control-frame pings (pybit sends them)
    await ws.prepare(request)
    session = WsSession(ws, channel.kind, settings.send_queue_limit)
    channel.connect(session)
    writer = asyncio.create_task(session.write_loop())
    try:
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=settings.idle_timeout_s)
            except TimeoutError:
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle: no message from the client")
                break
            if msg.type is WSMsgType.TEXT:
                _dispatch(channel, session, msg.data)
            elif msg.type is WSMsgType.BINARY:
                error = "error:binary frames are not supported, send JSON text"
                session.send_json(ack(channel.kind, session.conn_id, WsRequest("", ()), error=error))
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
    finally:
        channel.disconnect(session)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await writer
        await ws.close()
    return ws


def _dispatch(channel: Channel, session: WsSession, text: str) -> None:
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
