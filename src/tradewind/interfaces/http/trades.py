"""The trade desk's route: ``GET /trades``, the ongoing trade objects (``?all=true``: the recent closed ones too)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from tradewind.application.commands import CommandService
from tradewind.application.commands.outcomes import TradeList
from tradewind.domain.commands import ListTrades
from tradewind.interfaces.render.trading import trades_json

TAG = "trades"


def trades_router(commands: CommandService) -> APIRouter:
    router = APIRouter(tags=[TAG])

    @router.get("/trades")
    async def trades(
        exchange: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
        all: Annotated[bool, Query(description="closed trades too (the newest 100)")] = False,
    ) -> list[dict[str, Any]]:
        """Ongoing trades (pending, open, closing): side, quantity, entry, best price since entry, risk strategies."""
        found: TradeList = await commands.list_trades(ListTrades(exchange), live_only=not all)
        return trades_json(found)

    return router
