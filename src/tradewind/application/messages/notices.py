"""The notices a notified chat hears (TWAP fills, trades and deals opened or closed) and their one durable queue.

One declaration shared by the Telegram bot, which consumes the queue, and by the services that publish the events,
which declare it at start: a topic exchange drops what no queue is bound for, so a notice published before the bot
ever ran would otherwise be lost. Both go through ``Bus.declare_queue`` / ``subscribe(queue=...)``, which declare
the queue with the same arguments (durable, its dead-letter queue), so whichever comes first the other agrees.
"""

from __future__ import annotations

from tradewind.application.messages.trade_events import PATTERNS as TRADE_EVENT_PATTERNS
from tradewind.application.messages.twap import SLICE_DONE
from tradewind.application.ports.bus import Bus

# The command journal's source of the notices sent, keyed <notice>:<chat>: the bot records each chat done with a
# notice under it, and the journal's retention keeps these rows for ``commands.journal.notice_receipts_days``.
NOTICE_SOURCE = "telegram.notice"
NOTICE_PATTERNS: tuple[str, ...] = (SLICE_DONE.kind, *TRADE_EVENT_PATTERNS)  # twap.event, trade.event.#, trader.deal.#


async def declare_notice_queue(bus: Bus, queue: str) -> None:
    """The durable queue ``queue`` bound to every notice pattern; idempotent."""
    for pattern in NOTICE_PATTERNS:
        await bus.declare_queue(pattern, queue)
