"""The command service every front end calls: typed commands in, typed outcomes or a CommandError out.

Names load on first use, so reading the ``commands`` settings with the configuration does not import the service
and every workflow it reaches (the CLI's start-up time).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    "BookView", "CommandError", "CommandService", "HelpText", "Outcome", "Refusal", "SystemStatus", "TradeList",
    "Unsubscribed", "WouldCreate", "WouldPublish",
]  # fmt: skip


def __getattr__(name: str) -> object:
    if name == "CommandService":
        return getattr(import_module(f"{__name__}.service"), name)
    if name in __all__:
        return getattr(import_module(f"{__name__}.outcomes"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
