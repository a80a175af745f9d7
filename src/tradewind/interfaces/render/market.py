"""Market-data outcomes rendered once for every front end: subscriptions and books as JSON-able dicts."""

from __future__ import annotations

from typing import Any

from tradewind.application.commands.outcomes import BookView
from tradewind.application.ports.market_data import SubscriptionStatus


def subscription_json(status: SubscriptionStatus) -> dict[str, Any]:
    ref = status.ref
    return {
        "exchange": ref.exchange,
        "category": ref.category.value,
        "symbol": ref.symbol,
        "matching_key": ref.matching_key,
        "depth": status.depth,
        "synced": status.synced,
        "stale": status.stale,
        "updates": status.updates,
        "resyncs": status.resyncs,
        "seq": status.last_seq,
    }


def book_json(view: BookView) -> dict[str, Any]:
    """Levels as exact decimal strings, best first, to the view's depth."""
    book, depth = view.book, view.depth
    return {
        "exchange": book.ref.exchange,
        "category": book.ref.category.value,
        "symbol": book.ref.symbol,
        "matching_key": book.ref.matching_key,
        "seq": book.seq,
        "ts_ns": book.ts_ns,
        "stale": view.stale,
        "bids": [[str(p), str(q)] for p, q in book.bids[:depth]],
        "asks": [[str(p), str(q)] for p, q in book.asks[:depth]],
    }
