"""Runs the FastAPI app with uvicorn inside the current event loop (start / stop, port 0 supported)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

from tradewind.application.lifecycle import StartupError

_WHAT = "the HTTP API (http.host, http.port)"


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the CLI owns SIGINT / SIGTERM and stops the system, which stops this server


class HttpServer:
    """``what`` names the server and its settings in the StartupError raised when it cannot listen."""

    def __init__(self, app: FastAPI, host: str, port: int, *, what: str = _WHAT) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
        self._server = _QuietServer(config)
        self._app = app
        self._host, self._port, self._what = host, port, what
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    async def start(self) -> int:
        # The socket is bound here: uvicorn would log a port in use and call sys.exit from inside the event loop.
        try:
            listening = await asyncio.to_thread(_bind, self._host, self._port)
        except OSError as exc:
            raise StartupError.cannot_listen(self._what, self._host, self._port, exc) from exc
        self._task = asyncio.create_task(self._server.serve(sockets=[listening]), name="http-api")
        while not self._server.started:
            if self._task.done():
                listening.close()
                await self._task  # raises why it could not start
                raise StartupError(f"{self._what} stopped during start-up")
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._task is None:
            return
        for hook in getattr(self._app.state, "on_stop", ()):
            hook()  # ends long-lived responses (the dashboard's event streams): uvicorn waits for every open one
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` as uvicorn binds one (address reuse, inheritable), not yet listening."""
    addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = addresses[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
