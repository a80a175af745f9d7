"""``GET /spreads`` and ``GET /exposure``: the trading engine's spreads, PnL and exposure, over the command service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from tradewind.application.commands import CommandService
from tradewind.domain.numbers import parse_int
from tradewind.interfaces.render.spread import exposure_json, spreads_json

TAG = "spreads"


def _limit(raw: object) -> int:
    return parse_int(raw, "limit", low=1, high=10_000)


def spreads_router(commands: CommandService) -> APIRouter:
    router = APIRouter(tags=[TAG])

    @router.get("/spreads")
    async def spreads(
        open_only: bool = False,
        limit: Annotated[int, Query(ge=1, le=10_000), BeforeValidator(_limit)] = 100,
    ) -> dict[str, Any]:
        return spreads_json(await commands.spread_book(open_only=open_only, limit=limit))

    @router.get("/exposure")
    async def exposure() -> dict[str, Any]:
        return exposure_json(await commands.spread_book(open_only=True, limit=1))

    return router
