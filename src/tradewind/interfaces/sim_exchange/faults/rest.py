"""What a REST fault does on the wire, for either face: a dropped connection, a gateway's 5xx page."""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from aiohttp import web

from tradewind.interfaces.sim_exchange.faults.settings import FaultParams, ServerErrorParams


async def drop_connection(request: web.Request, hold_ms: int) -> web.Response:
    """Hang ``hold_ms``, then cut the connection without a reply: the client sees a timeout or a disconnect."""
    if hold_ms:
        await asyncio.sleep(hold_ms / 1000)
    if request.transport is not None:
        request.transport.abort()
    # aiohttp finds the transport gone and writes nothing; the client never learns what happened.
    return web.Response(status=204)


def server_error(params: FaultParams) -> web.Response:
    """An HTTP 5xx with a plain-text body, as a load balancer in front of an exchange answers."""
    assert isinstance(params, ServerErrorParams)
    try:
        phrase = HTTPStatus(params.status).phrase
    except ValueError:
        phrase = "Server Error"
    return web.Response(status=params.status, text=f"{params.status} {phrase}", content_type="text/plain")
