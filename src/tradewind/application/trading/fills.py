"""One look's fills: each market's fills read once, since the earliest of the positions looked at there, and given to
each position as its own read since its own creation would have answered them (``fills_since``, at the exchanges'
millisecond grain). A sync of many positions on few symbols costs one ``fetch_fills`` per symbol, not per position.
A read from any ``since`` reaches now: the gateways read a venue answering a week at a time window by window."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from tradewind.application.ports.exchange import ExchangeGateway, fills_since
from tradewind.application.trading.watched import Market
from tradewind.domain.orders import ExecutionFill
from tradewind.domain.values import Category


class Held(Protocol):
    """A position whose closes are looked for in its market's fills since it was created (a deal, a trade)."""

    @property
    def created_ns(self) -> int: ...

    @property
    def exchange(self) -> str: ...

    @property
    def category(self) -> Category: ...

    @property
    def symbol(self) -> str: ...


def _market(held: Held) -> Market:
    return held.exchange, held.category, held.symbol


class FillsLook:
    """The fills of one look over ``held``: a market's are read when a position there first needs them."""

    def __init__(self, held: Iterable[Held]) -> None:
        self._since: dict[Market, int] = {}
        for position in held:
            market = _market(position)
            self._since[market] = min(self._since.get(market, position.created_ns), position.created_ns)
        self._read: dict[Market, list[ExecutionFill]] = {}

    async def fills(self, gateway: ExchangeGateway, position: Held) -> list[ExecutionFill]:
        """What ``fetch_fills(category, symbol, since_ns=position.created_ns)`` answers, from the market's one read."""
        market = _market(position)
        since = self._since.get(market)
        if since is None or position.created_ns < since:  # not announced, and older than the read: read again
            self._since[market] = position.created_ns
            self._read.pop(market, None)
        read = self._read.get(market)
        if read is None:
            read = await gateway.fetch_fills(position.category, position.symbol, since_ns=self._since[market])
            self._read[market] = read
        return fills_since(read, position.created_ns)
