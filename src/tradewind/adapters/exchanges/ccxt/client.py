"""Builds ccxt clients for an exchange entry: Bybit's four environments, or any ccxt exchange id."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from tradewind.adapters.exchanges.ccxt.sim_urls import binance_sim_urls
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings

_REST_KEYS = ("spot", "futures", "v2", "public", "private")


def sim_server_urls(base_url: str) -> dict[str, Any]:
    """ccxt's bybit ``urls['api']`` aimed at ``tradewind sim-exchange`` (docs/sim-exchange.md)."""
    base = base_url.rstrip("/")
    ws = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    private = f"{ws}/v5/private"
    return {
        **{name: base for name in _REST_KEYS},
        "ws": {
            "public": {c: f"{ws}/v5/public/{c}" for c in ("spot", "linear", "inverse", "option")},
            "private": {
                "spot": {"unified": private, "nonUnified": private},
                "contract": private,
                "usdc": private,
                "trade": f"{ws}/v5/trade",
            },
        },
    }


def public_ws_url(settings: ExchangeSettings, category: str) -> str:
    """Bybit's public V5 WebSocket endpoint of ``category`` for the entry's environment."""
    if settings.env == "sim-server":
        assert settings.url is not None
        return sim_server_urls(settings.url)["ws"]["public"][category]  # type: ignore[no-any-return]
    host = {"testnet": "stream-testnet.bybit.com", "demo": "stream.bybit.com", "mainnet": "stream.bybit.com"}
    return f"wss://{host[settings.env]}/v5/public/{category}"


# ccxt options set before the entry's own: a caller asking for every open order means it (Binance would raise).
_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {"binance": {"warnOnFetchOpenOrdersWithoutSymbol": False}}
# What the sim-exchange's Binance face serves: spot markets, and no /sapi currency list.
_SIM_SERVER_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}},
}


def sim_server_api_urls(settings: ExchangeSettings) -> dict[str, Any]:
    """The ccxt ``urls['api']`` of an ``env: sim-server`` entry, for the protocol its ``type`` names."""
    assert settings.url is not None
    if settings.type == "bybit":
        return sim_server_urls(settings.url)
    if settings.type == "binance":
        return binance_sim_urls(settings.url)
    raise ValueError(f"tradewind sim-exchange does not speak {settings.type!r}")


def build_client(settings: ExchangeSettings, credentials: Credentials | None, *, pro: bool = False) -> Any:
    """An async ccxt client (``ccxt.async_support``, or ``ccxt.pro`` for streams) for the entry; never logs the keys.

    Unified-API clients keep every number as the exchange's decimal string (``number = str``; ccxt's own helpers
    drop a Decimal), so prices, sizes and fees reach the gateway exact and become Decimals there.
    """
    exchange_id = settings.type
    factory = getattr(ccxt_pro if pro else ccxt_async, exchange_id, None)
    if factory is None or not isinstance(factory, type):
        raise ValueError(f"{exchange_id!r} is neither 'sim', 'bybit' nor a ccxt exchange id")
    config: dict[str, Any] = {"enableRateLimit": True, "timeout": int(settings.timeout_s * 1000)}
    options = dict(_DEFAULT_OPTIONS.get(exchange_id, {}))
    if settings.env == "sim-server":
        options.update(_SIM_SERVER_OPTIONS.get(exchange_id, {}))
    options.update(settings.options)
    if options:
        config["options"] = options
    if credentials is not None:
        config["apiKey"] = credentials.api_key.get_secret_value()
        config["secret"] = credentials.api_secret.get_secret_value()
    client = factory(config)
    if not settings.uses_bybit_v5 and not pro:  # ccxt.pro's books hold floats: pro_stream checks them on the grid
        client.number = str  # ccxt's documented alternative to float: its own helpers re-read numbers as str
    if settings.env == "sim-server":
        client.enableRateLimit = False  # the server enforces the venue's limits itself
        client.urls["api"] = sim_server_api_urls(settings)
    elif settings.env == "testnet":
        if not client.urls.get("test"):
            raise ValueError(f"{exchange_id} has no testnet in ccxt: set env mainnet (with care) or sim-server")
        client.set_sandbox_mode(True)
    elif settings.env == "demo":
        client.enable_demo_trading(True)
    return client
