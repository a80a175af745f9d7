"""The Binance spot face: its REST route table, request weights, signatures and errors, installed beside Bybit's.

``install_binance`` adds ``/api/v3/...`` and the market streams (``/ws``, ``/stream``) to an application that
already serves Bybit's ``/v5/...``: one process, one port, one venue. ``app[BINANCE]`` is the face's state.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import structlog
from aiohttp import web

from tradewind.application.venue import SimVenue, VenueError
from tradewind.domain.numbers import NumberLimits
from tradewind.interfaces.sim_exchange.binance_spot import rest_market as market
from tradewind.interfaces.sim_exchange.binance_spot import rest_trade as trade
from tradewind.interfaces.sim_exchange.binance_spot.auth import SignedRequest, check_key, verify
from tradewind.interfaces.sim_exchange.binance_spot.call import Call, Handler
from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code, from_venue
from tradewind.interfaces.sim_exchange.binance_spot.ids import OrderIds
from tradewind.interfaces.sim_exchange.binance_spot.params import NUMBER_LIMITS, Params
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.binance_spot.weight import WeightMeter
from tradewind.interfaces.sim_exchange.binance_spot.ws_app import stream_routes
from tradewind.interfaces.sim_exchange.binance_spot.ws_hub import StreamHub
from tradewind.interfaces.sim_exchange.faults import FaultPlan
from tradewind.interfaces.sim_exchange.faults.rest import answer_with_faults
from tradewind.interfaces.sim_exchange.faults.settings import REST_KINDS, RateLimitParams
from tradewind.interfaces.sim_exchange.replay import ReplayGuard

log = structlog.get_logger(__name__)

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
SIGNED_PARAMS = ("timestamp", "recvWindow", "signature")
# Unknown paths under these answer Binance's error body; all others stay the Bybit app's.
SERVER_BUSY = "Server is currently overloaded with other requests. Please try again in a few minutes."
_REST_PREFIXES = ("/api/", "/sapi/", "/wapi/")
_STREAM_PATHS = ("/ws", "/stream", "/ws-api")


class Security(Enum):
    NONE = "NONE"
    MARKET_DATA = "MARKET_DATA"  # needs a known X-MBX-APIKEY, no signature
    SIGNED = "SIGNED"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    security: Security
    params: tuple[str, ...]
    weight: Callable[[Params], int]


def _w(weight: int) -> Callable[[Params], int]:
    return lambda _: weight


_PUBLIC, _KEYED, _SIGNED = Security.NONE, Security.MARKET_DATA, Security.SIGNED
_KLINE_PARAMS = ("symbol", "interval", "startTime", "endTime", "timeZone", "limit")
_ORDER_REF = ("symbol", "orderId", "origClientOrderId")

ROUTES: tuple[Route, ...] = (
    # market data; weights as Binance's table
    Route("GET", "/api/v3/ping", market.ping, _PUBLIC, (), _w(1)),
    Route("GET", "/api/v3/time", market.server_time, _PUBLIC, (), _w(1)),
    Route(
        "GET",
        "/api/v3/exchangeInfo",
        market.exchange_info,
        _PUBLIC,
        ("symbol", "symbols", "permissions", "showPermissionSets", "symbolStatus"),
        _w(20),
    ),
    Route("GET", "/api/v3/depth", market.depth, _PUBLIC, ("symbol", "limit"), market.depth_weight),
    Route("GET", "/api/v3/trades", market.trades, _PUBLIC, ("symbol", "limit"), _w(25)),
    Route("GET", "/api/v3/historicalTrades", market.historical_trades, _KEYED, ("symbol", "limit", "fromId"), _w(25)),
    Route(
        "GET",
        "/api/v3/aggTrades",
        market.aggregate_trades,
        _PUBLIC,
        ("symbol", "fromId", "startTime", "endTime", "limit"),
        _w(4),
    ),
    Route("GET", "/api/v3/klines", market.klines, _PUBLIC, _KLINE_PARAMS, _w(2)),
    Route("GET", "/api/v3/uiKlines", market.klines, _PUBLIC, _KLINE_PARAMS, _w(2)),
    Route(
        "GET", "/api/v3/ticker/24hr", market.ticker_24hr, _PUBLIC, ("symbol", "symbols", "type"), market.ticker_weight
    ),
    Route(
        "GET",
        "/api/v3/ticker/bookTicker",
        market.book_ticker,
        _PUBLIC,
        ("symbol", "symbols"),
        market.book_ticker_weight,
    ),
    Route(
        "GET", "/api/v3/ticker/price", market.price_ticker, _PUBLIC, ("symbol", "symbols"), market.book_ticker_weight
    ),
    # trading and account
    Route("POST", "/api/v3/order", trade.new_order, _SIGNED, trade.NEW_ORDER_PARAMS, _w(1)),
    Route("GET", "/api/v3/order", trade.query_order, _SIGNED, _ORDER_REF, _w(4)),
    Route(
        "DELETE",
        "/api/v3/order",
        trade.cancel_order,
        _SIGNED,
        (*_ORDER_REF, "newClientOrderId", "cancelRestrictions"),
        _w(1),
    ),
    Route("GET", "/api/v3/openOrders", trade.open_orders, _SIGNED, ("symbol",), lambda p: 6 if p.raw("symbol") else 80),
    Route("DELETE", "/api/v3/openOrders", trade.cancel_open_orders, _SIGNED, ("symbol",), _w(1)),
    Route(
        "GET",
        "/api/v3/allOrders",
        trade.all_orders,
        _SIGNED,
        ("symbol", "orderId", "startTime", "endTime", "limit"),
        _w(20),
    ),
    Route(
        "GET",
        "/api/v3/myTrades",
        trade.my_trades,
        _SIGNED,
        ("symbol", "orderId", "startTime", "endTime", "fromId", "limit"),
        lambda p: 5 if p.raw("orderId") else 20,
    ),
    Route("GET", "/api/v3/account", trade.account_info, _SIGNED, ("omitZeroBalances",), _w(20)),
    # ccxt's load_markets asks for the margin pairs when it holds a key: there is no margin trading here
    Route("GET", "/sapi/v1/margin/allPairs", trade.no_margin_pairs, _SIGNED, ("symbol",), _w(1)),
    Route("GET", "/sapi/v1/margin/isolated/allPairs", trade.no_margin_pairs, _SIGNED, ("symbol",), _w(10)),
)


class BinanceSpot:
    """The face's state: integer order ids, the market streams, the request-weight meter."""

    def __init__(
        self,
        venue: SimVenue,
        settings: BinanceSpotSettings,
        numbers: NumberLimits = NUMBER_LIMITS,
        faults: FaultPlan | None = None,
    ) -> None:
        self.venue = venue
        self.faults = faults if faults is not None else FaultPlan()
        self.numbers = numbers
        self.settings = settings
        self.ids = OrderIds(venue)
        self.streams = StreamHub(venue, settings)
        self.meter = WeightMeter(settings.weight_limit, settings.weight_window_ms)
        self.replay = ReplayGuard()

    def secret_of(self, api_key: str) -> bytes | None:
        account = self.venue.account(api_key)
        return account.secret if account is not None else None

    async def close(self) -> None:
        await self.streams.close()
        self.ids.close()


BINANCE = web.AppKey("binance_spot", BinanceSpot)


def install_binance(
    app: web.Application,
    venue: SimVenue,
    settings: BinanceSpotSettings,
    numbers: NumberLimits = NUMBER_LIMITS,
    faults: FaultPlan | None = None,
) -> BinanceSpot:
    """Serve the Binance spot protocol from ``app`` too (before it starts); the state is ``app[BINANCE]``.

    ``faults`` is the simulator's plan: the REST faults apply here too (no stream faults on this face).
    """
    server = BinanceSpot(venue, settings, numbers, faults)
    app[BINANCE] = server
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _endpoint(server, route))
    for path, handler in stream_routes(server.streams, settings):
        app.router.add_get(path, handler)
    # Innermost middleware: it sees a miss on a Binance path first and answers it; other misses go on to Bybit's.
    app.middlewares.append(_binance_paths())

    async def shutdown(_: web.Application) -> None:
        await server.close()

    app.on_shutdown.append(shutdown)
    return server


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")), status=status, content_type="application/json", headers=headers
    )


def _endpoint(server: BinanceSpot, route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    venue = server.venue
    signed = route.security is Security.SIGNED
    allowed = route.params + SIGNED_PARAMS if signed else route.params
    # Only requests that change something are guarded: a replayed read returns what a fresh one would.
    guard = server.replay if route.method in ("POST", "DELETE") else None

    faults = server.faults

    async def handle(request: web.Request) -> web.Response:
        if not faults.has_any(REST_KINDS):  # the fast path: no rule could apply
            return await serve(request)
        return await serve_with_faults(request)

    async def serve_with_faults(request: web.Request) -> web.Response:
        now_ms = venue.clock.now_ms()
        hits = faults.draw(REST_KINDS, account=request.headers.get("X-MBX-APIKEY"), route=route.path, now_ms=now_ms)
        return await answer_with_faults(request, hits, serve, busy=busy, rate_limited=rate_limited)

    def busy() -> web.Response:  # Binance's SERVER_BUSY
        return reply({"code": -1008, "msg": SERVER_BUSY}, 503)

    def rate_limited(p: RateLimitParams) -> web.Response:
        retry_after = str(max(1, -(-p.reset_ms // 1000)))
        error = BinanceError(
            Code.TOO_MANY_REQUESTS, f"fault injected on {route.path}", headers={"Retry-After": retry_after}
        )
        return reply(error.body(), error.http_status, error.headers)

    async def serve(request: web.Request, skew_ms: int = 0) -> web.Response:
        now_ms = venue.clock.now_ms() + skew_ms
        headers: dict[str, str] = {}
        try:
            raw_query = request.raw_path.partition("?")[2]
            body = await request.read() if request.method in ("POST", "PUT", "DELETE") else b""
            params = Params.parse(raw_query, body, server.numbers)
            api_key = request.headers.get("X-MBX-APIKEY")
            decision = server.meter.charge(api_key or f"ip:{request.remote}", route.weight(params), now_ms)
            headers[WEIGHT_HEADER] = str(decision.used)
            if not decision.allowed:
                limit = server.meter.limit
                raise BinanceError(
                    Code.TOO_MANY_REQUESTS,
                    f"{decision.used} weight used in the window; this request weighs {route.weight(params)}",
                    message=f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
                    "Please use WebSocket Streams for live updates to avoid polling the API.",
                    headers={"Retry-After": str(-(-decision.retry_after_ms // 1000))},
                )
            account = None
            if signed:
                key = verify(SignedRequest(api_key, raw_query, body), params, server.secret_of, now_ms, guard)
                account = venue.account(key)
            elif route.security is Security.MARKET_DATA:
                check_key(api_key, server.secret_of)
            params.only(allowed)
            call = Call(venue, params, account, now_ms, server.ids, server.streams, server.settings)
            return reply(route.handler(call), headers=headers)
        except BinanceError as exc:
            return reply(exc.body(), exc.http_status, {**headers, **exc.headers})
        except web.HTTPRequestEntityTooLarge:  # aiohttp's client_max_size: the body was not read
            error = BinanceError(Code.ILLEGAL_CHARS, f"the request body is larger than {request.client_max_size} bytes")
            return reply(error.body(), 413, headers)
        except VenueError as exc:
            error = from_venue(exc)
            return reply(error.body(), error.http_status, headers)
        except Exception as exc:  # a bug must still answer in Binance's format, and be logged
            log.exception("binance_spot.unhandled_error", method=request.method, path=request.path)
            error = BinanceError(Code.UNKNOWN, type(exc).__name__)
            return reply(error.body(), error.http_status, headers)

    return handle


def _is_binance_path(path: str) -> bool:
    return path.startswith(_REST_PREFIXES) or any(path == p or path.startswith(p + "/") for p in _STREAM_PATHS)


def _binance_paths() -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except BinanceError as exc:  # a stream endpoint refusing its URL before the upgrade
            return reply(exc.body(), exc.http_status)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
            if not _is_binance_path(request.path):
                raise
            error = BinanceError(Code.UNSUPPORTED_OPERATION, f"no endpoint {request.method} {request.path}")
            return reply(error.body(), exc.status)

    return middleware
