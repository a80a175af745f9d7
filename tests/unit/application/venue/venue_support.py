"""Builders shared by the venue tests."""

from decimal import Decimal

from pydantic import SecretStr

from tradewind.adapters.clock import SimClock
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

D = Decimal

START = {"USDT": D("100000"), "BTC": D("2"), "ETH": D("10")}


def make_venue(**overrides: object) -> SimVenue:
    accounts = tuple(
        AccountSettings(api_key=name, api_secret=SecretStr(f"{name}-secret"), balances=dict(START))
        for name in ("alice", "bob", "carol")
    )
    settings = VenueSettings(accounts=accounts, **overrides)  # type: ignore[arg-type]
    return SimVenue([MatchingEngine(i) for i in default_instruments()], SimClock(), settings)


def limit(category: Category, side: Side, qty: str, price: str, symbol: str = "BTCUSDT", **kw: object) -> OrderRequest:
    return OrderRequest(category, symbol, side, OrderType.LIMIT, D(qty), D(price), **kw)  # type: ignore[arg-type]


def market(category: Category, side: Side, qty: str, symbol: str = "BTCUSDT", **kw: object) -> OrderRequest:
    return OrderRequest(category, symbol, side, OrderType.MARKET, D(qty), **kw)  # type: ignore[arg-type]


__all__ = ["START", "TimeInForce", "limit", "make_venue", "market"]
