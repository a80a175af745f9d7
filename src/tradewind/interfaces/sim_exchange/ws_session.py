"""One WebSocket connection of either face: its outgoing queue and writer, and the receive loop that feeds its hub.

Messages are queued synchronously (fan-out happens inside venue operations and feed polls) and written by
one task per connection, so each client sees them in the order they were produced. A client that falls
``send_queue_limit`` messages behind is disconnected at once (close code 1008, or the socket aborted if
even the close frame cannot be written): a stream with a gap would corrupt its order book, and on
reconnecting it gets a fresh snapshot. A frame the server cannot serve (over the size limit, or one whose
handling fails) closes the connection with a code and a reason, never silently.
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
DROP_CLOSE_TIMEOUT_S = 1.0  # how long a dropped client gets to take the close frame before the socket is aborted


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
        self.transport: asyncio.Transport | None = None  # set by ``serve_session``; aborted when a close hangs
        self._writer: asyncio.Task[None] | None = None
        self._dropping: asyncio.Task[None] | None = None
        self._late: deque[tuple[float, str]] = deque()  # (due on the loop clock, message) held back by a fault
        self._late_timer: asyncio.TimerHandle | None = None
        self._resume_at = 0.0  # loop time until which a stalled writer sends nothing

    @property
    def open(self) -> bool:
        return not self._overflowed and not self.ws.closed

    def send(self, text: str) -> None:
        """Queue one encoded message; a client too far behind is dropped instead."""
        if self._late:  # messages held back by a fault go first: the stream is late, never reordered
            self._late.append((0.0, text))
            return
        self._enqueue(text)

    def send_after(self, text: str, delay_s: float) -> None:
        """Queue ``text`` ``delay_s`` from now (a late report); what is sent meanwhile waits behind it."""
        loop = asyncio.get_running_loop()
        due = loop.time() + delay_s
        self._late.append((due, text))
        if self._late_timer is None:
            self._late_timer = loop.call_at(due, self._flush_late)

    def stall(self, seconds: float) -> None:
        """Write nothing for ``seconds`` (messages queue up; the connection stays open)."""
        self._resume_at = max(self._resume_at, asyncio.get_running_loop().time() + seconds)
        self._wakeup.set()

    def _flush_late(self) -> None:
        self._late_timer = None
        now = asyncio.get_running_loop().time()
        while self._late and self._late[0][0] <= now:
            self._enqueue(self._late.popleft()[1])
        if self._late:
            self._late_timer = asyncio.get_running_loop().call_at(self._late[0][0], self._flush_late)

    def _enqueue(self, text: str) -> None:
        if self._overflowed:
            return
        if len(self._queue) >= self._limit:
            self._overflowed = True
            self._queue.clear()
            log.warning("sim_exchange_ws.slow_client_dropped", conn_id=self.conn_id, limit=self._limit)
            if self._writer is not None:  # served: close it now, even if the writer is stuck on a full socket
                self._dropping = asyncio.get_running_loop().create_task(self._drop())
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
                    if self._resume_at:  # a stall fault: hold everything, then go on in order
                        pause = self._resume_at - asyncio.get_running_loop().time()
                        if pause > 0:
                            await asyncio.sleep(pause)
                            continue
                        self._resume_at = 0.0
                    await ws.send_str(queue.popleft())
                    self.sent += 1
            except ConnectionError:  # the client went away mid-write; the receive loop sees the close
                return
            if self._overflowed:
                return

    async def _drop(self) -> None:
        """Close a client that fell behind: the close frame if it can be written soon, then the socket regardless."""
        if self._writer is not None:
            self._writer.cancel()  # it may be blocked writing to a client that does not read
        try:
            async with asyncio.timeout(DROP_CLOSE_TIMEOUT_S):
                await self.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"send queue overflow: client too slow")
        except (TimeoutError, ConnectionError):
            pass
        finally:
            if self.transport is not None:
                self.transport.abort()  # a graceful close waits for the unread buffer to drain: never, here

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
    transport: asyncio.Transport | None = None,
) -> None:
    """Write ``session``'s queue and hand its frames to the hub until either side closes it or it idles out.

    ``on_start`` runs once the writer runs; ``on_end`` runs first when the connection ends (the hub forgets
    the session), then the writer stops and the socket closes with ``close_code``. ``transport`` (the
    request's) lets a dropped slow client be cut off even when it no longer reads.
    """
    ws = session.ws
    session.transport = transport
    writer = session._writer = asyncio.create_task(session.write_loop())
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
                try:
                    on_text(msg.data)
                except Exception as exc:  # a frame that breaks its handler ends the connection, with the reason
                    log.exception("sim_exchange_ws.frame_failed", conn_id=session.conn_id)
                    reason = f"server error handling a frame: {type(exc).__name__}"
                    await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=reason.encode())
                    break
            elif msg.type is WSMsgType.BINARY:
                on_binary()
            elif msg.type is WSMsgType.ERROR:  # aiohttp closed it already, with 1009 for a frame over the limit
                log.info("sim_exchange_ws.closed_on_error", conn_id=session.conn_id, error=str(msg.data))
                break
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                break
    finally:
        on_end()
        if session._late_timer is not None:
            session._late_timer.cancel()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await writer
        if session._dropping is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await session._dropping
        await ws.close(code=close_code)
