"""Codecs of what a trader hears of a position: ``trade.event.<kind>`` (trade objects) and ``trader.deal.<kind>``
(the position manager's deals), and the one way both publish them: after the commit, never failing the caller."""

from __future__ import annotations

import structlog

from tradewind.application.messages.codec import Codec
from tradewind.application.ports.bus import Bus
from tradewind.domain.trading.events import (
    DEAL_EVENT_KIND,
    TRADE_EVENT_KIND,
    TradeEvent,
    trade_event_from_payload,
    trade_event_to_payload,
)

log = structlog.get_logger(__name__)

TRADE_EVENT: Codec[TradeEvent] = Codec(TRADE_EVENT_KIND, trade_event_to_payload, trade_event_from_payload)
DEAL_EVENT: Codec[TradeEvent] = Codec(DEAL_EVENT_KIND, trade_event_to_payload, trade_event_from_payload)
PATTERNS = (f"{TRADE_EVENT_KIND}.#", f"{DEAL_EVENT_KIND}.#")  # every trade and deal event


async def announce(bus: Bus, event: TradeEvent) -> None:
    """Publish ``event``; a failure is logged: the position is stored already and a lost notice must not undo it."""
    try:
        await bus.publish(event.topic, trade_event_to_payload(event))
    except Exception as exc:  # whatever the bus raises (closed, broker down), the trade stands
        log.warning("trade_events.lost", topic=event.topic, id=event.id, symbol=event.symbol, error=repr(exc))
