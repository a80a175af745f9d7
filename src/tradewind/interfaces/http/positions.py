"""The trader's routes: ``GET /positions`` (PnL and differences), ``/positions/status``, ``/deals``, ``/balance``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from tradewind.application.commands import CommandService
from tradewind.domain.commands import ListDeals, ListPositions, ShowBalance, ShowPositionStatus
from tradewind.domain.values import Category
from tradewind.interfaces.render.trading import balances_json, deals_json, pnl_json, status_json

TAG = "positions"
_WORD = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # what a signal's source and symbol may be
Exchange = Annotated[str | None, Query(min_length=1, max_length=32)]


def positions_router(commands: CommandService) -> APIRouter:
    router = APIRouter(tags=[TAG])

    @router.get("/positions")
    async def positions(exchange: Exchange = None) -> dict[str, Any]:
        """Open positions with their unrealised PnL, realised and unrealised by source and in total, and what
        reconciling found the exchange to say otherwise (never fixed silently)."""
        return pnl_json(await commands.positions(ListPositions(exchange)))

    @router.get("/positions/status")
    async def position_status(
        symbol: Annotated[str, Query(pattern=_WORD)],
        source: Annotated[str, Query(pattern=_WORD)],
        exchange: Exchange = None,
        category: Category = Category.LINEAR,
    ) -> dict[str, Any]:
        """What a BUY of ``symbol`` from ``source`` may do now: has_open_position, recently_closed, can_open_new."""
        return status_json(await commands.position_status(ShowPositionStatus(symbol, source, exchange, category)))

    @router.get("/deals")
    async def deals(
        exchange: Exchange = None,
        source: Annotated[str | None, Query(pattern=_WORD)] = None,
        symbol: Annotated[str | None, Query(pattern=_WORD)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> list[dict[str, Any]]:
        """The trader's deals, newest first."""
        return deals_json(await commands.deals(ListDeals(exchange), source=source, symbol=symbol, limit=limit))

    @router.get("/balance")
    async def balance(exchange: Exchange = None) -> dict[str, Any]:
        return balances_json(await commands.balance(ShowBalance(exchange)))

    return router
