"""Small value types shared by every workflow: sides, order kinds, categories."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Which way an order or trade goes; the value is Bybit's spelling."""

    BUY = "Buy"
    SELL = "Sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "PostOnly"


class Category(StrEnum):
    """Bybit V5 product category."""

    SPOT = "spot"
    LINEAR = "linear"
