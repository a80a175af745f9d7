"""Signals for the trader's tests: ``signal(...)`` builds one with sensible defaults."""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.values import Category


def signal(
    action: Action = Action.BUY,
    *,
    sid: str = "s1",
    source: str = "trend-btc",
    exchange: str = "fake",
    category: Category = Category.LINEAR,
    symbol: str = "BTCUSDT",
    amount: str = "1000",
    price: str = "100000",
    take_profit_pct: str | None = None,
    stop_loss_pct: str | None = None,
) -> Signal:
    return Signal(
        sid, source, exchange, category, symbol, action, Decimal(amount),
        None if take_profit_pct is None else Decimal(take_profit_pct),
        None if stop_loss_pct is None else Decimal(stop_loss_pct),
        1, 0, Decimal(price), 60_000_000_000,
    )  # fmt: skip
