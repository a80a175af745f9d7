"""The command language's bus message: a decoded trade command (``cmd.trade.<exchange>``) for the trader."""

from __future__ import annotations

from tradewind.application.messages.codec import Codec
from tradewind.domain.command_events import (
    TRADE_COMMAND_KIND,
    TradeCommandEvent,
    trade_command_from_payload,
    trade_command_to_payload,
)

TRADE_COMMAND: Codec[TradeCommandEvent] = Codec(
    TRADE_COMMAND_KIND, trade_command_to_payload, trade_command_from_payload
)
