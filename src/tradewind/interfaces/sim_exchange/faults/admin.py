"""``/admin/faults`` on the simulated exchange: read, replace or clear the fault plan at run time.

A simulator for tests on loopback: the route has no authentication, so the server must never be reachable from
another machine while it is mounted. Bad input is a 400 naming what is wrong and changes nothing.
"""

from __future__ import annotations

import json

from aiohttp import web
from pydantic import ValidationError

from tradewind.application.venue import SimVenue
from tradewind.interfaces.sim_exchange.faults.plan import FaultPlan
from tradewind.interfaces.sim_exchange.faults.settings import FaultSettings, validation_message

ADMIN_PATH = "/admin/faults"
FAULTS = web.AppKey("sim_exchange_faults", FaultPlan)


def install_admin(app: web.Application, venue: SimVenue, plan: FaultPlan) -> None:
    """Mount ``GET`` / ``PUT`` / ``DELETE`` ``/admin/faults`` over ``plan``, the one the faces and the venue ask."""
    app[FAULTS] = plan

    async def show(_: web.Request) -> web.Response:
        return web.json_response(plan.describe())

    async def replace(request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _bad(f"the body is larger than {request.client_max_size} bytes", 413)
        try:
            data = json.loads(body) if body else None
        except (ValueError, RecursionError) as exc:
            return _bad(f"the body is not JSON: {type(exc).__name__}: {str(exc)[:120]}")
        if not isinstance(data, dict):
            return _bad('the body must be a JSON object {"seed": int, "rules": [...]}')
        try:
            settings = FaultSettings.model_validate(data)
        except ValidationError as exc:
            return _bad(validation_message(exc))
        plan.replace(settings, venue.clock.now_ms())
        return web.json_response(plan.describe())

    async def clear(_: web.Request) -> web.Response:
        plan.clear(venue.clock.now_ms())
        return web.json_response(plan.describe())

    app.router.add_get(ADMIN_PATH, show)
    app.router.add_put(ADMIN_PATH, replace)
    app.router.add_delete(ADMIN_PATH, clear)


def _bad(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"error": reason}, status=status)
