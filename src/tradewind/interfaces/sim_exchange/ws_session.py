"""One WebSocket connection of either face: its outgoing queue and writer, and the receive loop that feeds its hub.

Messages are queued synchronously (fan-out happens inside venue operations and feed polls) and written by
one task per connection, so each client sees them in the order they were produced. A client that falls
``send_queue_limit`` messages behind is disconnected: a stream with a gap would corrupt its order book,
and on reconnecting it gets a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

log = structlog.get_logger(__name__)


def encode(message: dict[str, Any]) -> str:
    """A message as the compact JSON text both faces send."""
    return json.dumps(message, separators=(",", ":"))


class WsSession:
    """A connected client: what it subscribed to and what is waiting to be sent."""

    def __init__(self, ws: web.WebSocketResponse, queue_limit: int) -> None:
        self.ws = ws
        self.conn_id = str(uuid.uuid4())
        self.topics: set[str] = set()
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
            log.warning("sim_exchange_ws.slow_client_dropped", conn_id=self.conn_id, limit=self._limit)
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


async def serve_session(
    session: WsSession,
    *,
    on_text: Callable[[str], None],
    on_binary: Callable[[], None],
    on_end: Callable[[], None],
    on_start: Callable[[], None] | None = None,
    idle_timeout_s: float | None = None,
    close_code: int = WSCloseCode.OK,
) -> None:
    """Write ``session``'s queue and hand its frames to the hub until either side closes it or it idles out.

    ``on_start`` runs once the writer runs; ``on_end`` runs first when the connection ends (the hub forgets
    the session), then the writer stops and the socket closes with ``close_code``.
    """
    ws = session.ws
    writer = asyncio.create_task(session.write_loop())
    try:
        if on_start is not None:
            on_start()
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=idle_timeout_s)
            except TimeoutError:
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle: no message from the client")
                break
            if msg.type is WSMsgType.TEXT:
                on_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                on_binary()
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
    finally:
        on_end()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await writer
        await ws.close(code=close_code)
