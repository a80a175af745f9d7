"""What a REST fault does on the wire, for either face: the latency, a dropped connection, a gateway's 5xx page, a
skewed clock; the face words a maintenance window and a rate limit its own way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

from tradewind.interfaces.sim_exchange.faults.plan import Hit
from tradewind.interfaces.sim_exchange.faults.settings import (
    ClockSkewParams,
    FaultKind,
    FaultParams,
    RateLimitParams,
    ServerErrorParams,
    TimeoutParams,
)

# A face's own handling of a request, its clock skewed by the milliseconds given.
Serve = Callable[[web.Request, int], Awaitable[web.Response]]


async def answer_with_faults(
    request: web.Request,
    hits: list[Hit],
    serve: Serve,
    *,
    busy: Callable[[], web.Response],
    rate_limited: Callable[[RateLimitParams], web.Response],
) -> web.Response:
    """A REST request under the faults drawn for it: their latency first, then the one fault that decides the answer
    (``busy`` and ``rate_limited`` in the face's words), or the request served as usual."""
    delay_ms = sum(h.delay_ms for h in hits)
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)
    outcome = next((h for h in hits if h.kind is not FaultKind.LATENCY), None)
    if outcome is None:
        return await serve(request, 0)
    p = outcome.params
    if outcome.kind is FaultKind.MAINTENANCE:
        return busy()
    if outcome.kind is FaultKind.SERVER_ERROR:
        return server_error(p)
    if isinstance(p, RateLimitParams):
        return rate_limited(p)
    if isinstance(p, ClockSkewParams):
        return await serve(request, p.skew_ms)
    assert isinstance(p, TimeoutParams)
    if outcome.kind is FaultKind.TIMEOUT_AFTER:
        await serve(request, 0)  # done on the venue; the answer is lost
    return await drop_connection(request, p.hold_ms)


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
