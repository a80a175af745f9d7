"""The command service every front end calls, over the workflows a process runs, and the gate they submit text to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.application.ports.market_data import MarketData
from tradewind.application.twap.service import TwapService
from tradewind.bootstrap.platform import Platform
from tradewind.domain.command_language import LanguageContext
from tradewind.interfaces.render.commands import JsonRenderer
from tradewind.settings import Settings

if TYPE_CHECKING:  # the `twap` verbs build a command service over TWAP alone
    from tradewind.application.ports.spread import SpreadView
    from tradewind.application.trading.service import TraderService
    from tradewind.application.trading.trade_client import TradeClient


def commands_over(
    settings: Settings,
    twap: TwapService | None,
    market_data: MarketData | None = None,
    spreads: SpreadView | None = None,
    trader: TraderService | None = None,
    *,
    trades: TradeClient | None = None,
) -> CommandService:
    """The command service of the front ends, over the workflows this process runs, with the configured limits."""
    limits = settings.input.limits()
    language = LanguageContext(
        settings.commands.alias_table(), settings.exchanges.default, tuple(settings.exchanges.entries), limits
    )
    return CommandService(
        twap=twap, market_data=market_data, trader=trader, default_exchange=settings.exchanges.default, limits=limits,
        language=language, spreads=spreads, trades=trades,
    )  # fmt: skip


def trade_client(platform: Platform) -> TradeClient | None:
    """What the command service asks the trade desk through (in this process or the ``trader`` service), if on."""
    from tradewind.application.trading.trade_client import TradeClient

    settings = platform.settings.trades
    return TradeClient(platform.bus, timeout_s=settings.reply_timeout_s) if settings.enabled else None


def command_gate(platform: Platform, service: CommandService) -> CommandGate:
    """Roles, confirmation, idempotency and the audit log (in the platform's database) over ``service``; ``quit``
    (from the terminal or Telegram only) sets the platform's shutdown event."""
    return CommandGate(
        service, SqlCommandJournal(platform.database), platform.clock, JsonRenderer(service),
        confirm_ttl_s=platform.settings.commands.confirm_ttl_s,
        on_quit=platform.shutdown.set,
    )  # fmt: skip
