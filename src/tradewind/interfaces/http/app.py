"""The FastAPI app factory: health, the market-data routes (subscribe, unsubscribe, list, book) and ``/twap``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tradewind.application.marketdata.remote import BusMarketData
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.market_data import MarketData, SubscriptionStatus
from tradewind.application.twap.service import TwapService
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category
from tradewind.interfaces.http.twap import twap_router


class HttpSettings(BaseModel):
    """Where the HTTP API listens; port 0 picks a free one (tests)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exchange: str = Field(min_length=1, max_length=32)
    category: Category
    symbol: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9]+$")
    matching_key: str = Field("", max_length=64)
    depth: int | None = Field(None, ge=1, le=1000)

    def ref(self) -> InstrumentRef:
        return InstrumentRef(self.exchange, self.category, self.symbol, self.matching_key)


def status_json(status: SubscriptionStatus) -> dict[str, Any]:
    ref = status.ref
    return {
        "exchange": ref.exchange,
        "category": ref.category.value,
        "symbol": ref.symbol,
        "matching_key": ref.matching_key,
        "depth": status.depth,
        "synced": status.synced,
        "stale": status.stale,
        "updates": status.updates,
        "resyncs": status.resyncs,
        "seq": status.last_seq,
    }


def book_json(book: BookSnapshot, depth: int, stale: bool) -> dict[str, Any]:
    """Levels as exact decimal strings, best first."""
    return {
        "exchange": book.ref.exchange,
        "category": book.ref.category.value,
        "symbol": book.ref.symbol,
        "matching_key": book.ref.matching_key,
        "seq": book.seq,
        "ts_ns": book.ts_ns,
        "stale": stale,
        "bids": [[str(p), str(q)] for p, q in book.bids[:depth]],
        "asks": [[str(p), str(q)] for p, q in book.asks[:depth]],
    }


def create_http_app(
    market_data: MarketData, twap: TwapService | None = None, *, default_exchange: str | None = None
) -> FastAPI:
    """The API over the given services; nothing global, one app per system. No ``twap``: no ``/twap`` routes."""
    app = FastAPI(title="Tradewind", version="0.1.0")

    @app.exception_handler(BusError)
    async def unreachable(_request: Request, exc: BusError) -> JSONResponse:
        # distributed mode: the service behind the bus failed or did not answer
        return JSONResponse({"detail": f"service unavailable: {exc}"}, status_code=503)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/subscribe")
    async def subscribe(request: SubscriptionRequest) -> dict[str, Any]:
        try:
            status = await market_data.subscribe(request.ref(), request.depth or 50)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return status_json(status)

    @app.post("/unsubscribe")
    async def unsubscribe(request: SubscriptionRequest) -> dict[str, str]:
        try:
            await market_data.unsubscribe(request.ref())
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        return {"status": "unsubscribed"}

    @app.get("/subscriptions")
    async def subscriptions() -> list[dict[str, Any]]:
        if isinstance(market_data, BusMarketData):
            await market_data.refresh()
        return [status_json(s) for s in market_data.subscriptions()]

    @app.get("/book")
    async def book(
        exchange: Annotated[str, Query(min_length=1, max_length=32)],
        category: Category,
        symbol: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Z0-9]+$")],
        depth: Annotated[int, Query(ge=1, le=1000)] = 20,
        matching_key: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:
        topic = InstrumentRef(exchange, category, symbol).topic("book")
        if isinstance(market_data, BusMarketData):
            await market_data.refresh()
        status = next(
            (
                s
                for s in market_data.subscriptions()
                if s.ref.topic("book") == topic and matching_key in (None, s.ref.matching_key)
            ),
            None,
        )
        snapshot = None if status is None else await market_data.fetch_book(status.ref)
        if snapshot is None or status is None:
            what = "not subscribed" if status is None else "no book yet (not synced)"
            raise HTTPException(status_code=404, detail=f"{exchange} {category.value} {symbol}: {what}")
        return book_json(snapshot, depth, status.stale)

    if twap is not None:
        app.include_router(twap_router(twap, default_exchange))
    return app
