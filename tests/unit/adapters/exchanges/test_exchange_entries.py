"""Exchange entries in config: which combinations are refused (naming why) and which client each builds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async
import pytest
from pydantic import ValidationError

from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import BybitV5Gateway, UnifiedCcxtGateway, open_gateway
from tradewind.adapters.exchanges.ccxt.capabilities import capabilities_for
from tradewind.adapters.exchanges.ccxt.client import build_client
from tradewind.adapters.exchanges.ccxt.gateway import translate
from tradewind.adapters.exchanges.settings import ExchangeSettings
from tradewind.application.ports.exchange import (
    ExchangeError,
    ExchangeUnavailable,
    OrderNotFound,
    OrderRejected,
    RateLimited,
)
from tradewind.domain.values import Category


def entry(**fields: Any) -> ExchangeSettings:
    return ExchangeSettings.model_validate(fields)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"type": "okx", "env": "sim-server", "url": "http://127.0.0.1:1"}, "speaks bybit, binance, not 'okx'"),
        ({"type": "binance", "env": "sim-server"}, "needs url"),
        ({"type": "binance", "env": "demo"}, "demo is Bybit's"),
        ({"type": "binance", "api": "bybit-v5"}, "api bybit-v5 is for type bybit"),
        ({"type": "binance", "options": {"apiKey": "x"}}, "may not set \\['apiKey'\\]"),
        ({"type": "binance", "categories": ["spot", "spot"]}, "at most once"),
        ({"type": "binance", "categories": ["inverse"]}, "categories"),
    ],
)
def test_entries_that_cannot_work_are_refused_naming_the_problem(fields: dict[str, Any], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        entry(**fields)


def test_bybit_trades_v5_rows_by_default_and_unified_on_request_every_other_id_unified() -> None:
    clock = WallClock()
    assert type(open_gateway("b", entry(type="bybit"), None, clock)) is BybitV5Gateway
    assert type(open_gateway("b", entry(type="bybit", api="unified"), None, clock)) is UnifiedCcxtGateway
    assert type(open_gateway("x", entry(type="binance"), None, clock)) is UnifiedCcxtGateway
    assert type(open_gateway("x", entry(type="okx"), None, clock)) is UnifiedCcxtGateway


def test_capabilities_follow_the_entry() -> None:
    assert not capabilities_for(entry(type="bybit", env="sim-server", url="http://x")).book_u_contiguous
    assert capabilities_for(
        entry(type="bybit", env="sim-server", url="http://x", book_u_contiguous=True)
    ).book_u_contiguous
    assert capabilities_for(entry(type="bybit")).client_ids_unique
    binance = capabilities_for(entry(type="binance"))
    assert binance.lookup_by_client_id and not binance.client_ids_unique and binance.categories == (Category.SPOT,)
    assert not capabilities_for(entry(type="gateio")).lookup_by_client_id  # looked up by scanning its orders
    assert capabilities_for(entry(type="okx", categories=["spot", "linear"])).categories == (
        Category.SPOT,
        Category.LINEAR,
    )


def test_unified_clients_keep_numbers_as_strings_and_take_the_entry_options() -> None:
    client = build_client(
        entry(type="binance", env="mainnet", options={"defaultType": "spot", "recvWindow": 7000}), None
    )
    assert client.number is str and client.options["recvWindow"] == 7000
    assert client.parse_number("0.1") == "0.1" and Decimal(client.parse_number("0.1")) == Decimal("0.1")
    assert build_client(entry(type="bybit"), None).number is float  # the V5 path reads raw strings itself


def test_testnet_uses_the_exchange_sandbox_and_an_exchange_without_one_is_named() -> None:
    client = build_client(entry(type="binance", env="testnet"), None)
    assert "testnet" in str(client.urls["api"]["public"])
    with pytest.raises(ValueError, match="has no testnet in ccxt"):
        build_client(entry(type="bitstamp", env="testnet"), None)


def test_sim_server_entries_aim_every_url_at_the_loopback_server() -> None:
    client = build_client(entry(type="binance", env="sim-server", url="http://127.0.0.1:8080"), None)
    assert client.urls["api"]["public"] == "http://127.0.0.1:8080/api/v3"
    assert client.urls["api"]["ws"]["spot"] == "ws://127.0.0.1:8080/ws"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ccxt_async.RateLimitExceeded("x"), RateLimited),  # not a DDoSProtection since ccxt 4.5
        (ccxt_async.DDoSProtection("x"), RateLimited),
        (ccxt_async.RequestTimeout("x"), ExchangeUnavailable),
        (ccxt_async.ExchangeNotAvailable("x"), ExchangeUnavailable),
        (ccxt_async.OrderNotFound("x"), OrderNotFound),
        (ccxt_async.InsufficientFunds("x"), OrderRejected),
        (ccxt_async.InvalidOrder("x"), OrderRejected),
        (ccxt_async.AuthenticationError("x"), ExchangeError),
    ],
)
def test_ccxt_errors_map_to_the_ports_typed_errors(raised: Exception, expected: type[ExchangeError]) -> None:
    assert type(translate(raised, "place")) is expected
