"""The command service every front end calls: typed commands in, typed outcomes or a CommandError out.

Names load on first use, so reading the ``commands`` settings with the configuration does not import the service
and every workflow it reaches (the CLI's start-up time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.application.commands.outcomes import BookView as BookView
    from tradewind.application.commands.outcomes import CommandError as CommandError
    from tradewind.application.commands.outcomes import HelpText as HelpText
    from tradewind.application.commands.outcomes import Outcome as Outcome
    from tradewind.application.commands.outcomes import Refusal as Refusal
    from tradewind.application.commands.outcomes import SystemStatus as SystemStatus
    from tradewind.application.commands.outcomes import TradeList as TradeList
    from tradewind.application.commands.outcomes import Unsubscribed as Unsubscribed
    from tradewind.application.commands.outcomes import WouldCreate as WouldCreate
    from tradewind.application.commands.outcomes import WouldPublish as WouldPublish
    from tradewind.application.commands.service import CommandService as CommandService

_LAZY = LazyNames(
    __name__,
    {
        "outcomes": ("BookView", "CommandError", "HelpText", "Outcome", "Refusal", "SystemStatus", "TradeList",
                     "Unsubscribed", "WouldCreate", "WouldPublish"),
        "service": ("CommandService",),
    },
)  # fmt: skip
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
