"""Where a trade stream is in one market's tape, shared by Bybit's ``publicTrade`` and Binance's ``@trade`` streams."""

from __future__ import annotations

from tradewind.application.venue.tape import MarketTape, PublicTrade


class TapeCursor:
    """The last trade a stream published; ``take`` returns the trades after it, oldest first, and moves on."""

    def __init__(self, tape: MarketTape, cap: int) -> None:
        self._tape = tape
        self._cap = cap  # all the tape keeps
        newest = tape.recent(1)
        self.last: PublicTrade | None = newest[0] if newest else None

    def take(self) -> list[PublicTrade]:
        newest = self._tape.recent(1)
        if not newest or newest[0] is self.last:
            return []
        fresh: list[PublicTrade] = []
        for trade in self._tape.recent(self._cap):
            if trade is self.last:
                break
            fresh.append(trade)
        fresh.reverse()
        self.last = fresh[-1]
        return fresh
