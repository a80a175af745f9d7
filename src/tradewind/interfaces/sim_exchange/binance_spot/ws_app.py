"""The Binance market-stream endpoints: ``/ws``, ``/ws/<stream>`` and ``/stream?streams=<a>/<b>``.

``/ws`` sends raw events, ``/stream`` wraps them as ``{"stream", "data"}``. A path segment of digits only
(ccxt.pro connects to ``/ws/0``, ``/ws/1``, ... and subscribes afterwards) names no stream. The server pings
every ``ping_interval_s``; a client that does not answer with a pong is disconnected (aiohttp's heartbeat).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import WSCloseCode, web

from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.binance_spot.ws_feeds import StreamName
from tradewind.interfaces.sim_exchange.binance_spot.ws_hub import StreamHub, StreamSession
from tradewind.interfaces.sim_exchange.ws_session import serve_session

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stream_routes(hub: StreamHub, settings: BinanceSpotSettings) -> list[tuple[str, Handler]]:
    """(path, handler) of each market-stream endpoint."""

    async def raw(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "")
        names = [name] if name and not name.isdigit() else []
        return await _serve(request, hub, settings, _streams(hub, settings, names), combined=False)

    async def combined(request: web.Request) -> web.StreamResponse:
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await _serve(request, hub, settings, _streams(hub, settings, names), combined=True)

    return [("/ws", raw), ("/ws/{name}", raw), ("/stream", combined)]


def _streams(hub: StreamHub, settings: BinanceSpotSettings, names: list[str]) -> list[StreamName]:
    """The streams named in the URL, checked before the connection is upgraded (a bad one answers HTTP 400)."""
    if len(names) > settings.max_streams:
        raise BinanceError(Code.ILLEGAL_CHARS, f"{len(names)} streams; at most {settings.max_streams} per connection")
    streams = []
    for name in names:
        stream = hub.parse(name)
        if stream is None:
            message = "Invalid request: invalid stream"
            raise BinanceError(Code.ILLEGAL_CHARS, f"no stream {name!r} is served", message=message)
        streams.append(stream)
    return streams


async def _serve(
    request: web.Request, hub: StreamHub, settings: BinanceSpotSettings, streams: list[StreamName], *, combined: bool
) -> web.StreamResponse:
    """Accept one connection and serve it until either side closes it (or it stops answering pings)."""
    ws = web.WebSocketResponse(autoping=True, heartbeat=settings.ping_interval_s, max_msg_size=settings.max_frame_bytes)
    await ws.prepare(request)
    session = StreamSession(ws, settings.send_queue_limit, combined=combined)
    hub.connect(session)

    def on_binary() -> None:
        session.send_json({"error": {"code": 2, "msg": "Invalid request: send JSON text frames"}, "id": None})

    await serve_session(
        session,
        on_text=lambda text: hub.handle(session, text),
        on_binary=on_binary,
        on_end=lambda: hub.disconnect(session),
        on_start=lambda: hub.subscribe(session, streams),
        close_code=WSCloseCode.GOING_AWAY,
        transport=request.transport,
    )
    return ws
