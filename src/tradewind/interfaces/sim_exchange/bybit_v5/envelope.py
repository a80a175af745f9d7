"""Every reply in Bybit's envelope ``{retCode, retMsg, result, retExtInfo, time}``, as compact JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode


def ok_body(result: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now_ms}


def error_body(error: BybitError, now_ms: int) -> dict[str, Any]:
    ext: dict[str, Any] = {"detail": error.detail} if error.detail else {}
    return {
        "retCode": int(error.code),
        "retMsg": error.message,
        "result": dict(error.result),
        "retExtInfo": ext,
        "time": now_ms,
    }


def reply(body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    text = json.dumps(body, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json", headers=headers)


def not_found(path: str, now_ms: int) -> web.Response:
    """Unknown route: HTTP 404 with the envelope of retCode 10017, so every client raises."""
    return reply(error_body(BybitError(RetCode.ROUTE_NOT_FOUND, f"no route {path}"), now_ms), status=404)
