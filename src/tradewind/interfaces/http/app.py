"""The FastAPI app factory: health, the market-data routes (subscribe, unsubscribe, list, book), ``/twap``,
``/spreads``, ``/exposure``, the trader's ``/positions``, ``/deals``, ``/balance`` and the trade desk's ``/trades``.

Every route parses its input into a command, runs it on the ``CommandService`` and renders the outcome with the
shared renderers; refusals become statuses in ``errors``; who may call which route is decided in ``security``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.repositories import LogRepository, MarketDataRepository
from tradewind.application.ports.system import SystemStatus
from tradewind.domain.commands import ListSubscriptions, ShowBook, Subscribe, Unsubscribe
from tradewind.domain.market import InstrumentRef
from tradewind.domain.numbers import parse_int
from tradewind.domain.values import Category
from tradewind.interfaces.http.commands import commands_router
from tradewind.interfaces.http.dashboard import install_dashboard
from tradewind.interfaces.http.errors import document_refusals, install_error_handlers
from tradewind.interfaces.http.positions import positions_router
from tradewind.interfaces.http.security import ApiAccess, install_security
from tradewind.interfaces.http.spreads import spreads_router
from tradewind.interfaces.http.trades import trades_router
from tradewind.interfaces.http.twap import twap_router
from tradewind.interfaces.render.market import book_json, subscription_json

TAG = "market data"
MAX_DEPTH = 1000


def _depth(raw: object) -> int | None:
    """Through the one number parser: pydantic's own int would read "1_0" as 10."""
    return None if raw is None else parse_int(raw, "depth", low=1, high=MAX_DEPTH)


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exchange: str = Field(min_length=1, max_length=32)
    category: Category
    symbol: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9]+$")
    matching_key: str = Field("", max_length=64)
    depth: Annotated[int | None, Field(ge=1, le=MAX_DEPTH), BeforeValidator(_depth)] = None

    def ref(self) -> InstrumentRef:
        return InstrumentRef(self.exchange, self.category, self.symbol, self.matching_key)


def create_http_app(
    commands: CommandService,
    access: ApiAccess,
    gate: CommandGate | None = None,
    bus: Bus | None = None,
    logs: LogRepository | None = None,
    *,
    market: MarketDataRepository | None = None,
    system: SystemStatus | None = None,
) -> FastAPI:
    """The API over the command service, guarded by ``access``; nothing global, one app per system. Routes only for
    what it runs; ``POST /commands`` when a command ``gate`` is given (every system builds one); the dashboard at
    ``/``, live over ``/events`` and ``/system`` when given the ``bus`` (services and queues from ``system``), with
    ``/logs`` when given the ``logs`` table and ``/candles`` when given the stored ``market`` data."""
    app = FastAPI(title="Tradewind", version="0.1.0")
    install_error_handlers(app)
    document_refusals(app)
    install_security(app, access)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if commands.runs_market_data:
        app.include_router(market_data_router(commands))
    if commands.runs_twap:
        app.include_router(twap_router(commands))
    if commands.runs_spreads:
        app.include_router(spreads_router(commands))
    if commands.runs_trader:
        app.include_router(positions_router(commands))
    if commands.runs_trades:
        app.include_router(trades_router(commands))
    if gate is not None:
        app.include_router(commands_router(gate))
    install_dashboard(app, bus, logs, market=market, system=system)
    return app


def market_data_router(commands: CommandService) -> APIRouter:
    """Subscribe, unsubscribe, list the subscriptions and read a subscribed market's book."""
    router = APIRouter(tags=[TAG])

    @router.post("/subscribe")
    async def subscribe(request: SubscriptionRequest) -> dict[str, Any]:
        return subscription_json(await commands.subscribe(Subscribe(request.ref(), request.depth or 50)))

    @router.post("/unsubscribe")
    async def unsubscribe(request: SubscriptionRequest) -> dict[str, str]:
        await commands.unsubscribe(Unsubscribe(request.ref()))
        return {"status": "unsubscribed"}

    @router.get("/subscriptions")
    async def subscriptions() -> list[dict[str, Any]]:
        return [subscription_json(s) for s in await commands.list_subscriptions(ListSubscriptions())]

    @router.get("/book")
    async def book(
        exchange: Annotated[str, Query(min_length=1, max_length=32)],
        category: Category,
        symbol: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Z0-9]+$")],
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH), BeforeValidator(_depth)] = 20,
        matching_key: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        return book_json(await commands.show_book(ShowBook(exchange, category, symbol, depth, matching_key)))

    return router
