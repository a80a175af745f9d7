"""ccxt ``urls['api']`` aimed at ``tradewind sim-exchange`` for the protocols it speaks besides Bybit's."""

from __future__ import annotations

from typing import Any


def binance_sim_urls(base_url: str) -> dict[str, Any]:
    """ccxt's binance ``urls['api']`` for the sim-exchange's Binance spot face (REST ``/api/v3``, WebSocket ``/ws``)."""
    base = base_url.rstrip("/")
    ws = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return {
        "public": f"{base}/api/v3",
        "private": f"{base}/api/v3",
        "v1": f"{base}/api/v1",
        "sapi": f"{base}/sapi/v1",
        "ws": {"spot": f"{ws}/ws", "ws-api": {"spot": f"{ws}/ws-api/v3"}},
    }
