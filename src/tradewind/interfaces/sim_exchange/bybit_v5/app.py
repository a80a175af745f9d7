"""The Bybit V5 face: one REST route table, signed private routes, rate limits, the envelope on every reply.

``install_bybit`` adds ``/v5/...`` and the WebSocket routes (``/v5/public/{spot,linear}``, ``/v5/private``,
``ws_app.install_websocket``) to the simulated exchange's application; ``app[WEBSOCKET]`` is their server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web

from tradewind.application.venue import SimVenue, VenueError
from tradewind.domain.numbers import NumberLimits
from tradewind.interfaces.sim_exchange.bybit_v5 import rest_account, rest_market, rest_trade
from tradewind.interfaces.sim_exchange.bybit_v5.auth import SignedRequest, verify
from tradewind.interfaces.sim_exchange.bybit_v5.call import Call, Handler
from tradewind.interfaces.sim_exchange.bybit_v5.envelope import error_body, not_found, ok_body, reply
from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode, from_venue, params_error
from tradewind.interfaces.sim_exchange.bybit_v5.params import NUMBER_LIMITS, Params
from tradewind.interfaces.sim_exchange.bybit_v5.ratelimit import RateDecision, RateLimiter
from tradewind.interfaces.sim_exchange.bybit_v5.settings import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.ws_app import install_websocket
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings
from tradewind.interfaces.sim_exchange.faults import FaultPlan
from tradewind.interfaces.sim_exchange.faults.rest import answer_with_faults
from tradewind.interfaces.sim_exchange.faults.settings import REST_KINDS, RateLimitParams
from tradewind.interfaces.sim_exchange.replay import ReplayGuard

log = structlog.get_logger(__name__)
SERVER_BUSY = "Server is busy, please try again later."  # the maintenance fault's retMsg (retCode 10016)


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    private: bool


ROUTES: tuple[Route, ...] = (
    # market data (public)
    Route("GET", "/v5/market/time", rest_market.server_time, private=False),
    Route("GET", "/v5/market/instruments-info", rest_market.instruments_info, private=False),
    Route("GET", "/v5/market/tickers", rest_market.tickers, private=False),
    Route("GET", "/v5/market/orderbook", rest_market.orderbook, private=False),
    Route("GET", "/v5/market/kline", rest_market.kline, private=False),
    Route("GET", "/v5/market/recent-trade", rest_market.recent_trades, private=False),
    Route("GET", "/v5/market/funding/history", rest_market.funding_history, private=False),
    # trading
    Route("POST", "/v5/order/create", rest_trade.create_order, private=True),
    Route("POST", "/v5/order/amend", rest_trade.amend_order, private=True),
    Route("POST", "/v5/order/cancel", rest_trade.cancel_order, private=True),
    Route("POST", "/v5/order/cancel-all", rest_trade.cancel_all, private=True),
    Route("GET", "/v5/order/realtime", rest_trade.realtime_orders, private=True),
    Route("GET", "/v5/order/history", rest_trade.order_history, private=True),
    Route("GET", "/v5/execution/list", rest_trade.executions, private=True),
    # positions and account
    Route("GET", "/v5/position/list", rest_account.positions, private=True),
    Route("POST", "/v5/position/set-leverage", rest_account.set_leverage, private=True),
    Route("POST", "/v5/position/trading-stop", rest_account.trading_stop, private=True),
    Route("POST", "/v5/account/set-margin-mode", rest_account.set_margin_mode, private=True),
    Route("GET", "/v5/account/wallet-balance", rest_account.wallet_balance, private=True),
    Route("GET", "/v5/account/fee-rate", rest_account.fee_rate, private=True),
    Route("GET", "/v5/account/transaction-log", rest_account.transaction_log, private=True),
    # the probes clients make before trading (ccxt: query-api, account/info, coin/query-info)
    Route("GET", "/v5/account/info", rest_account.account_info, private=True),
    Route("GET", "/v5/user/query-api", rest_account.query_api, private=True),
    Route("GET", "/v5/asset/coin/query-info", rest_account.coin_info, private=True),
)


def install_bybit(
    app: web.Application,
    venue: SimVenue,
    rate_limits: RateLimitSettings,
    websocket: WebSocketSettings,
    numbers: NumberLimits = NUMBER_LIMITS,
    *,
    faults: FaultPlan | None = None,
) -> None:
    """Serve Bybit's REST routes and WebSocket streams for ``venue`` from ``app`` (before it starts).

    Bybit's middleware answers every path no face serves in Bybit's envelope, so it goes in first (outermost).
    ``faults`` (the simulator's plan, empty by default) is asked on every request and stream message.
    """
    faults = faults if faults is not None else FaultPlan()
    app.middlewares.append(_route_not_found(venue))
    limiter = (
        RateLimiter(rate_limits.limits, rate_limits.default_limit, rate_limits.window_ms)
        if rate_limits.enabled
        else None
    )
    replay = ReplayGuard()
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _endpoint(venue, route, limiter, replay, numbers, faults=faults))
    install_websocket(app, venue, websocket, faults)


def _endpoint(
    venue: SimVenue,
    route: Route,
    limiter: RateLimiter | None,
    replay: ReplayGuard,
    numbers: NumberLimits,
    *,
    faults: FaultPlan,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    # Only requests that change something are guarded: a replayed read returns what a fresh one would.
    guard = replay if route.method == "POST" else None

    def secret_of(api_key: str) -> bytes | None:
        account = venue.account(api_key)
        return account.secret if account is not None else None

    async def handle(request: web.Request) -> web.Response:
        if not faults.has_any(REST_KINDS):  # the fast path: no rule could apply
            return await serve(request)
        return await serve_with_faults(request)

    async def serve_with_faults(request: web.Request) -> web.Response:
        now_ms = venue.clock.now_ms()
        hits = faults.draw(REST_KINDS, account=request.headers.get("X-BAPI-API-KEY"), route=route.path, now_ms=now_ms)

        def busy() -> web.Response:
            error = BybitError(RetCode.SERVER_ERROR, "maintenance window", message=SERVER_BUSY)
            return reply(error_body(error, now_ms))

        def rate_limited(p: RateLimitParams) -> web.Response:
            headers = RateDecision(False, p.limit, 0, now_ms + p.reset_ms).headers()
            error = BybitError(RetCode.TOO_MANY_VISITS, f"{p.limit} requests per window on {route.path}")
            return reply(error_body(error, now_ms), headers=headers)

        return await answer_with_faults(request, hits, serve, busy=busy, rate_limited=rate_limited)

    async def serve(request: web.Request, skew_ms: int = 0) -> web.Response:
        now_ns = venue.clock.now_ns() + skew_ms * 1_000_000
        now_ms = now_ns // 1_000_000
        headers: dict[str, str] = {}
        try:
            raw_query = request.raw_path.partition("?")[2]
            body = await request.read() if request.method == "POST" else b""
            account = None
            if route.private:
                h = request.headers
                signed = SignedRequest(
                    h.get("X-BAPI-API-KEY"),
                    h.get("X-BAPI-TIMESTAMP"),
                    h.get("X-BAPI-RECV-WINDOW"),
                    h.get("X-BAPI-SIGN"),
                    body if request.method == "POST" else raw_query.encode(),
                )
                account = venue.account(verify(signed, secret_of, now_ms, guard))
            if request.method == "POST":
                params = Params.from_body(body, numbers)
            else:
                params = Params.from_query(raw_query, numbers)
            if account is not None and limiter is not None:
                bucket = limiter.bucket(route.path, params.text("category") or None)
                decision = limiter.hit(account.api_key, bucket, now_ms)
                headers = decision.headers()
                if not decision.allowed:
                    raise BybitError(RetCode.TOO_MANY_VISITS, f"{decision.limit} requests per window on {bucket}")
            result = route.handler(Call(venue, params, account, now_ms, now_ns))
            return reply(ok_body(result, now_ms), headers=headers)
        except BybitError as exc:
            return reply(error_body(exc, now_ms), status=exc.http_status, headers=headers)
        except web.HTTPRequestEntityTooLarge:  # aiohttp's client_max_size: the body was not read
            error = params_error(f"the request body is larger than {request.client_max_size} bytes")
            return reply(error_body(error, now_ms), status=413, headers=headers)
        except VenueError as exc:
            return reply(error_body(from_venue(exc), now_ms), headers=headers)
        except Exception as exc:  # a bug must still answer in the envelope, and be logged
            log.exception("sim_exchange.unhandled_error", method=request.method, path=request.path)
            error = BybitError(RetCode.SERVER_ERROR, type(exc).__name__)
            return reply(error_body(error, now_ms), headers=headers)

    return handle


def _route_not_found(venue: SimVenue) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return not_found(f"{request.method} {request.path}", venue.clock.now_ms())

    return middleware
