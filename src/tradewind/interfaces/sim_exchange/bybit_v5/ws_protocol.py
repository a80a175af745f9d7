"""The Bybit V5 WebSocket request format and the reply shapes, which differ per stream (spot, linear, private).

Replies echo ``req_id`` exactly as sent, string or number: pybit looks its uuid string up in a dict,
ccxt.pro sends an integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tradewind.interfaces.sim_exchange.json_input import JsonInputError, loads

OPS = ("ping", "subscribe", "unsubscribe", "auth")


class StreamKind(StrEnum):
    """Which endpoint a connection is on; it decides the shape of acks and pongs."""

    SPOT = "spot"
    LINEAR = "linear"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class WsRequest:
    """One client message: ``{"op": ..., "args": [...], "req_id": ...}``."""

    op: str
    args: tuple[Any, ...]
    req_id: Any = None
    has_req_id: bool = False


class ProtocolError(Exception):
    """A message that cannot be served; ``request`` is what could be read of it (for the reply's op and req_id)."""

    def __init__(self, message: str, request: WsRequest) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


def parse_request(text: str) -> WsRequest:
    """Read one text frame; raise ProtocolError naming what is wrong with it."""
    try:
        raw = loads(text, decimals=False)
    except JsonInputError as exc:
        raise ProtocolError(f"error:invalid json: {exc}", WsRequest("", ())) from None
    if not isinstance(raw, dict):
        raise ProtocolError("error:a request must be a JSON object", WsRequest("", ()))
    has_req_id = "req_id" in raw
    op = raw.get("op")
    args = raw.get("args", [])
    request = WsRequest(op if isinstance(op, str) else "", (), raw.get("req_id"), has_req_id)
    if op not in OPS:
        raise ProtocolError(f"error:invalid op {op!r}: expected one of {', '.join(OPS)}", request)
    if args is None:
        args = []
    if not isinstance(args, list):
        raise ProtocolError(f"error:args must be a list, got {type(args).__name__}", request)
    return WsRequest(op, tuple(args), raw.get("req_id"), has_req_id)


def _with_req_id(message: dict[str, Any], request: WsRequest, *, always: bool) -> dict[str, Any]:
    if request.has_req_id:
        message["req_id"] = request.req_id
    elif always:
        message["req_id"] = ""
    return message


def pong(kind: StreamKind, conn_id: str, request: WsRequest, now_ms: int) -> dict[str, Any]:
    """The answer to ``{"op": "ping"}``: public streams say ``ret_msg: pong``, the private one ``op: pong``."""
    if kind is StreamKind.PRIVATE:
        message: dict[str, Any] = {}
        _with_req_id(message, request, always=False)
        message.update(op="pong", args=[str(now_ms)], conn_id=conn_id)
        return message
    message = {"success": True, "ret_msg": "pong", "conn_id": conn_id}
    _with_req_id(message, request, always=kind is StreamKind.LINEAR)
    message["op"] = "ping"
    return message


def ack(kind: StreamKind, conn_id: str, request: WsRequest, *, error: str | None = None) -> dict[str, Any]:
    """Success or failure of a subscribe / unsubscribe / auth; ``error`` is the failure's ``ret_msg``."""
    if error is not None:
        ret_msg = error
    elif kind is StreamKind.SPOT and request.op == "subscribe":
        ret_msg = "subscribe"
    else:
        ret_msg = ""
    message: dict[str, Any] = {"success": error is None, "ret_msg": ret_msg, "conn_id": conn_id}
    _with_req_id(message, request, always=kind is not StreamKind.PRIVATE)
    message["op"] = request.op
    return message
