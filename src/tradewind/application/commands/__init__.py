"""The command service every front end calls: typed commands in, typed outcomes or a CommandError out."""

from tradewind.application.commands.outcomes import (
    BookView,
    CommandError,
    HelpText,
    Outcome,
    Refusal,
    SystemStatus,
    TradeList,
    Unsubscribed,
    WouldCreate,
    WouldPublish,
)
from tradewind.application.commands.service import CommandService

__all__ = [
    "BookView",
    "CommandError",
    "CommandService",
    "HelpText",
    "Outcome",
    "Refusal",
    "SystemStatus",
    "TradeList",
    "Unsubscribed",
    "WouldCreate",
    "WouldPublish",
]
