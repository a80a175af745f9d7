"""Market aliases: the word a user types (``btc``) and the symbol it is on each exchange (``BTCUSDT``, ``XBTUSDT``).

A listed alias maps to its symbol, or to an exchange's own symbol where one is given. A word that is not listed is
read by one rule: if it already ends in a quote currency (``ethbtc``, ``solusdc``) it is the symbol itself,
uppercased; otherwise the default quote currency is appended (``doge`` -> ``DOGEUSDT``), as most venues name their
USDT markets. The exchange refuses a symbol it does not list, so the rule never trades an unintended market silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MARKET_WORD = re.compile(r"[a-z0-9]{1,24}")  # what may name a market: letters and digits


@dataclass(frozen=True, slots=True)
class Alias:
    """``symbol`` on every exchange, except those in ``exchanges`` (exchange name -> its symbol)."""

    symbol: str
    exchanges: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def on(self, exchange: str | None) -> str:
        return self.symbol if exchange is None else self.exchanges.get(exchange, self.symbol)


@dataclass(frozen=True, slots=True)
class AliasTable:
    """Alias (lowercase) -> Alias; ``quotes`` are the quote currencies that end a full symbol."""

    aliases: Mapping[str, Alias] = field(default_factory=lambda: MappingProxyType({}))
    default_quote: str = "USDT"
    quotes: tuple[str, ...] = ("USDT", "USDC", "BTC", "ETH", "EUR")

    def symbol(self, word: str, exchange: str | None) -> str:
        """The symbol ``word`` names on ``exchange`` (None: the alias's symbol on any exchange)."""
        word = word.lower()
        alias = self.aliases.get(word)
        if alias is not None:
            return alias.on(exchange)
        upper = word.upper()
        if any(upper.endswith(quote) and len(upper) > len(quote) for quote in self.quotes):
            return upper
        return upper + self.default_quote

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(sorted(self.aliases))


DEFAULT_ALIASES = AliasTable(
    MappingProxyType({"btc": Alias("BTCUSDT"), "eth": Alias("ETHUSDT"), "sol": Alias("SOLUSDT")})
)
