"""Switching the sim-exchange's fault plan from a test, over its admin route."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.support.bybit_server import Served


async def put_faults(
    http: aiohttp.ClientSession, served: Served, rules: list[dict[str, Any]], *, seed: int = 1
) -> dict[str, Any]:
    """Put ``rules`` in force (``PUT /admin/faults``); returns the plan as the server shows it."""
    async with http.put(f"{served.url}/admin/faults", json={"seed": seed, "rules": rules}) as resp:
        body: dict[str, Any] = await resp.json()
        assert resp.status == 200, body
        return body
