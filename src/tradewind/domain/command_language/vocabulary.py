"""What may come next in a command, for a prompt's completion: command words, twap verbs, flags, markets, units."""

from __future__ import annotations

from tradewind.domain.command_language.grammar import (
    CATEGORIES,
    COMMANDS,
    EXCHANGE,
    FLAGS,
    TWAP_KEYWORDS,
    TWAP_VERBS,
    UNITS,
)
from tradewind.domain.command_language.parser import LanguageContext

_FLAG_NAMES = tuple(name for flag in FLAGS for name in flag.names)
_MARKET_COMMANDS = frozenset({"buy", "sell", "close", "subscribe", "unsubscribe"})


def completions(before: list[str], partial: str, context: LanguageContext) -> list[str]:
    """The words that may complete ``partial`` after the words ``before`` (lowercase, in vocabulary order)."""
    prefix = partial.lower()
    previous = before[-1].lower() if before else None
    if not before:
        candidates: tuple[str, ...] = COMMANDS
    elif previous in EXCHANGE.names:
        candidates = context.exchanges
    elif previous in ("-c", "--category"):
        candidates = CATEGORIES
    elif prefix.startswith("-"):
        candidates = _FLAG_NAMES
    else:
        head = before[0].lower()
        if head == "twap" and len(before) == 1:
            candidates = TWAP_VERBS
        elif head == "help" and len(before) == 1:
            candidates = COMMANDS
        elif head == "close" and len(before) == 1:
            candidates = ("all", *context.aliases.words)
        elif (head in _MARKET_COMMANDS and len(before) == 1) or (
            head == "twap" and len(before) == 2 and before[1].lower() in ("buy", "sell")
        ):
            candidates = context.aliases.words
        elif head == "twap":
            candidates = (*UNITS, *TWAP_KEYWORDS)
        elif head in ("buy", "sell"):
            candidates = UNITS
        else:
            candidates = ()
    return [word for word in candidates if word.startswith(prefix)]
