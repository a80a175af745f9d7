"""Builds ccxt clients for an exchange entry: Bybit's four environments, or any ccxt exchange id."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async

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


def build_client(settings: ExchangeSettings, credentials: Credentials | None) -> Any:
    """An async ccxt client (``ccxt.async_support``) for the entry; never logs the keys."""
    exchange_id = settings.type
    factory = getattr(ccxt_async, exchange_id, None)
    if factory is None:
        raise ValueError(f"{exchange_id!r} is neither 'sim', 'bybit' nor a ccxt exchange id")
    config: dict[str, Any] = {"enableRateLimit": True, "timeout": int(settings.timeout_s * 1000)}
    if credentials is not None:
        config["apiKey"] = credentials.api_key.get_secret_value()
        config["secret"] = credentials.api_secret.get_secret_value()
    client = factory(config)
    if exchange_id == "bybit":
        if settings.env == "sim-server":
            assert settings.url is not None
            client.enableRateLimit = False  # the server enforces Bybit's limits itself
            client.urls["api"] = sim_server_urls(settings.url)
        elif settings.env == "testnet":
            client.set_sandbox_mode(True)
        elif settings.env == "demo":
            client.enable_demo_trading(True)
    return client
