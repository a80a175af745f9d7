"""What a front end's command service asks the trade desk, over the bus, wherever the desk runs."""

from __future__ import annotations

from tradewind.application.messages.codec import request
from tradewind.application.messages.commands import TRADE_COMMAND
from tradewind.application.messages.trades import TRADE_ANSWER, TRADES_CALL, TradeAnswer, TradesQuery
from tradewind.application.ports.bus import Bus
from tradewind.domain.command_events import TradeCommandEvent


class TradeClient:
    """Publishes a trade command as the ``cmd.trade.<exchange>`` request the desk answers; asks ``rpc.trades``."""

    def __init__(self, bus: Bus, *, timeout_s: float = 15.0) -> None:
        self._bus = bus
        self._timeout_s = timeout_s

    async def submit(self, event: TradeCommandEvent) -> TradeAnswer:
        """The desk's answer (BusError when it does not answer: then the outcome is unknown, not refused)."""
        reply = await self._bus.request(event.topic, TRADE_COMMAND.encode(event), timeout=self._timeout_s)
        return TRADE_ANSWER.decode(reply)

    async def trades(self, exchange: str | None = None, *, live_only: bool = True) -> TradeAnswer:
        return await request(self._bus, TRADES_CALL, TradesQuery(exchange, live_only), timeout=self._timeout_s)
