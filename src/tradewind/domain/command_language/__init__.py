"""The text command language of every front end (Telegram, ``POST /commands``, the terminal): ``buy btc 80 -tsl 2.8``.

The grammar is written out in ``docs/commands.md``; ``parse_command`` turns a text into one typed command of
``domain/commands.py`` or raises ``CommandSyntaxError`` (column, expected, got, suggestion).
"""

from tradewind.domain.command_language.aliases import DEFAULT_ALIASES, Alias, AliasTable
from tradewind.domain.command_language.errors import CommandSyntaxError
from tradewind.domain.command_language.grammar import COMMANDS, help_text
from tradewind.domain.command_language.parser import LanguageContext, parse_command
from tradewind.domain.command_language.tokens import MAX_TEXT

__all__ = [
    "COMMANDS",
    "DEFAULT_ALIASES",
    "MAX_TEXT",
    "Alias",
    "AliasTable",
    "CommandSyntaxError",
    "LanguageContext",
    "help_text",
    "parse_command",
]
