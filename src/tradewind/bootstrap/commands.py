"""The command service every front end calls, over the workflows a process runs."""

from __future__ import annotations

from tradewind.application.commands import CommandService
from tradewind.application.ports.market_data import MarketData
from tradewind.application.trading.service import TraderService
from tradewind.application.twap.service import TwapService
from tradewind.domain.command_language import LanguageContext
from tradewind.settings import Settings


def commands_over(
    settings: Settings,
    twap: TwapService | None,
    market_data: MarketData | None = None,
    trader: TraderService | None = None,
) -> CommandService:
    """The command service of the front ends, over the workflows this process runs, with the configured limits."""
    limits = settings.input.limits()
    language = LanguageContext(
        settings.commands.alias_table(), settings.exchanges.default, tuple(settings.exchanges.entries), limits
    )
    return CommandService(
        twap=twap, market_data=market_data, trader=trader, default_exchange=settings.exchanges.default, limits=limits,
        language=language,
    )  # fmt: skip
