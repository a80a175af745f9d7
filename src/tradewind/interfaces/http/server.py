"""Runs the FastAPI app with uvicorn inside the current event loop (start / stop, port 0 supported)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the CLI owns SIGINT / SIGTERM and stops the system, which stops this server


class HttpServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    async def start(self) -> int:
        self._task = asyncio.create_task(self._server.serve(), name="http-api")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises why it could not start (e.g. the port is taken)
                raise RuntimeError("the HTTP server stopped during start-up")
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
