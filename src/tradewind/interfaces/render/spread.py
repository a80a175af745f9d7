"""Spreads and exposure as JSON-able dicts and text lines, shared by the HTTP API, the CLI and the live view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.domain.spread.orders import SpreadBook
from tradewind.domain.spread.position import Spread
from tradewind.interfaces.render.numbers import at_step

_PRICE = Decimal("0.01")  # quote amounts and average prices, to the cent
_QTY = Decimal("0.000001")


def _leg(ref: Any) -> str:
    return f"{ref.exchange}:{ref.category.value}:{ref.symbol}"


def spread_json(s: Spread) -> dict[str, Any]:
    return {
        "spread_id": s.spread_id,
        "group": s.pair.group,
        "long": _leg(s.pair.long),
        "short": _leg(s.pair.short),
        "state": s.state.value,
        "qty": at_step(s.qty, _QTY),
        "traded_qty": at_step(s.traded_qty, _QTY),
        "long_entry": None if not s.qty else str(s.long_entry.quantize(_PRICE)),
        "short_entry": None if not s.qty else str(s.short_entry.quantize(_PRICE)),
        "realised": str(s.realised),
        "fees": str(s.fees),
        "funding": str(s.funding),
        "net_realised": str(s.net_realised),
        "opened_ns": s.opened_ns,
        "closed_ns": s.closed_ns,
    }


def exposure_json(book: SpreadBook) -> dict[str, Any]:
    return {
        "mode": book.mode,
        "total": str(book.total_exposure),
        "instruments": [
            {"exchange": e.exchange, "category": e.category.value, "symbol": e.symbol, "qty": str(e.qty),
             "notional": str(e.notional)}
            for e in book.exposure
        ],
        "buffered_writes": book.buffered_writes,
    }  # fmt: skip


def spreads_json(book: SpreadBook) -> dict[str, Any]:
    return {
        "mode": book.mode,
        "spreads": [spread_json(s) for s in book.spreads],
        "realised": str(book.realised),
        "exposure": exposure_json(book),
    }
