"""A scripted price path on the simulated market: crafted orders of one venue account print trades at given prices.

With the swarm's population at zero nobody else trades, so the tape (``md.trade``, the ticker, the book) is exactly
what the painter prints: each ``print_at`` rests a bid at the price and sells into it (a real match in the engine,
published like any other trade), ``offer`` / ``bid`` leave resting liquidity for the system's own orders to fill.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.application.venue.model import OrderRequest
from tradewind.application.venue.service import SimVenue
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

PAINTER = "tape-painter"
PRINT_QTY = Decimal("0.0001")


def painter_account() -> dict[str, object]:
    """The venue account the painter trades from, as a ``venue.accounts`` entry."""
    return {"api_key": PAINTER, "api_secret": "painter-secret", "balances": {"USDT": "10000000", "BTC": "100"}}


class TapePainter:
    """Prints trades and rests liquidity on one market of the venue (see the module docstring)."""

    def __init__(self, venue: SimVenue, symbol: str = "BTCUSDT", category: Category = Category.SPOT) -> None:
        self._venue = venue
        self._symbol = symbol
        self._category = category

    def _limit(self, side: Side, price: Decimal, qty: Decimal, tif: TimeInForce = TimeInForce.GTC) -> None:
        self._venue.place_order(
            PAINTER, OrderRequest(self._category, self._symbol, side, OrderType.LIMIT, qty, price, tif)
        )

    def offer(self, price: Decimal, qty: Decimal) -> None:
        self._limit(Side.SELL, price, qty)

    def bid(self, price: Decimal, qty: Decimal) -> None:
        self._limit(Side.BUY, price, qty)

    def print_at(self, price: Decimal) -> None:
        """One trade at ``price``: a resting bid, then an immediate-or-cancel sell into it."""
        self._limit(Side.BUY, price, PRINT_QTY)
        self._limit(Side.SELL, price, PRINT_QTY, TimeInForce.IOC)

    def clear(self) -> None:
        """Cancel every resting order of the painter on this market."""
        self._venue.cancel_all(PAINTER, self._category, self._symbol)
