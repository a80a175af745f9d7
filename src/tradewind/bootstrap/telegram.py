"""The Telegram front end: embedded in `tradewind run` (``telegram.enabled``), or `tradewind service telegram`."""

from __future__ import annotations

from tradewind.application.commands.gate import CommandGate
from tradewind.application.lifecycle import Component
from tradewind.bootstrap.commands import command_gate, commands_over
from tradewind.bootstrap.marketdata import mirror
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.storage import schema_at_head
from tradewind.bootstrap.twap import twap
from tradewind.settings import ConfigError


def telegram_bot(platform: Platform, gate: CommandGate) -> Component:
    """The bot over ``gate``: chats of ``commands.users`` command, those with ``notify`` get TWAP fills and trades
    and deals opened and closed."""
    from tradewind.interfaces.telegram.bot import TelegramBot  # the library loads only where a bot runs

    settings = platform.settings
    try:
        token = settings.telegram.bot_token()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if token is None:
        raise ConfigError(
            "the Telegram front end needs telegram.token (TRADEWIND_TELEGRAM__TOKEN) or telegram.token_file"
        )
    users = settings.commands.directory()
    if not users.chats:
        raise ConfigError("the Telegram front end needs commands.users with telegram_chats: no chat may command it")
    bot = TelegramBot(
        gate, users, token, settings.telegram, bus=platform.bus, notify_chats=settings.commands.notified_chats()
    )
    return Component("telegram", bot.start, None, bot.stop)


def telegram_service(platform: Platform) -> ServiceParts:
    """``telegram``: the bot, TWAP control through the database and bus, market data through the collector;
    ``quit`` (an admin's, confirmed) stops this service."""
    control = twap(platform, execute=False)
    market_data, book_mirror = mirror(platform)
    commands = commands_over(platform.settings, control.service, market_data)
    gate = command_gate(platform, commands)
    components = [schema_at_head(platform), *control.components, book_mirror, telegram_bot(platform, gate)]
    return ServiceParts(components, (platform.settings.telegram.notify_queue,))  # the notices waiting for it
