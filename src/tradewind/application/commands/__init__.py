"""The command service every front end calls: typed commands in, typed outcomes or a CommandError out."""

from tradewind.application.commands.outcomes import BookView, CommandError, Outcome, Refusal, Unsubscribed
from tradewind.application.commands.service import CommandService

__all__ = ["BookView", "CommandError", "CommandService", "Outcome", "Refusal", "Unsubscribed"]
