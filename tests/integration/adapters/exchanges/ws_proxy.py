"""A loopback WebSocket proxy in front of the sim server's public streams that numbers book ``u`` as
real Bybit does (each push = previous + 1) and, on request, swallows one delta: a true sequence gap."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tradewind.interfaces.sim_exchange import start_server


@dataclass
class RenumberingProxy:
    upstream_ws: str  # ws://127.0.0.1:PORT
    drop_next_delta: bool = False
    dropped: int = 0
    url: str = ""
    _u: dict[str, int] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/v5/public/{category}", self._handle)
        self._runner, port = await start_server(app, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        client = web.WebSocketResponse()
        await client.prepare(request)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{self.upstream_ws}{request.path}") as server,
        ):
            up = asyncio.create_task(self._client_to_server(client, server))
            try:
                async for msg in server:
                    if msg.type is not aiohttp.WSMsgType.TEXT:
                        break
                    text = self._rewrite(msg.data)
                    if text is not None:
                        await client.send_str(text)
            finally:
                up.cancel()
        await client.close()
        return client

    async def _client_to_server(self, client: web.WebSocketResponse, server: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in client:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await server.send_str(msg.data)
        await server.close()  # the client left: end the upstream read loop too

    def _rewrite(self, text: str) -> str | None:
        message = json.loads(text)
        topic = message.get("topic", "")
        if not topic.startswith("orderbook."):
            return text
        u = self._u[topic] = self._u.get(topic, 1000) + 1
        if message["type"] == "delta" and self.drop_next_delta:
            self.drop_next_delta = False
            self.dropped += 1
            return None
        message["data"]["u"] = u
        return json.dumps(message)
