"""The ``commands`` section: the command language's market aliases and the rule for words that are not listed."""

from __future__ import annotations

from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.domain.command_language import Alias, AliasTable

_SYMBOL = r"^[A-Z0-9]{2,32}$"
_CURRENCY = r"^[A-Z0-9]{2,10}$"


class AliasSettings(BaseModel):
    """``symbol`` on every exchange, except where ``exchanges`` (exchange name -> symbol) names its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str = Field(pattern=_SYMBOL)
    exchanges: dict[str, str] = Field(default_factory=dict)

    @field_validator("exchanges")
    @classmethod
    def _symbols(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(name for name, symbol in value.items() if not symbol.isascii() or not symbol.isalnum())
        if bad or any(s != s.upper() for s in value.values()):
            raise ValueError(f"exchange symbols must be uppercase letters and digits (such as BTCUSDT); check {bad}")
        return value


def _default_aliases() -> dict[str, AliasSettings]:
    return {word: AliasSettings(symbol=f"{word.upper()}USDT") for word in ("btc", "eth", "sol")}


class CommandsSettings(BaseModel):
    """Aliases (lowercase word -> market); an unlisted word ending in one of ``quotes`` is a symbol as it is,
    any other word gets ``default_quote`` appended (``doge`` -> ``DOGEUSDT``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aliases: dict[str, AliasSettings] = Field(default_factory=_default_aliases)
    default_quote: str = Field("USDT", pattern=_CURRENCY)
    quotes: tuple[str, ...] = ("USDT", "USDC", "BTC", "ETH", "EUR")

    @field_validator("aliases")
    @classmethod
    def _words(cls, value: dict[str, AliasSettings]) -> dict[str, AliasSettings]:
        bad = sorted(word for word in value if not (word.isascii() and word.isalnum() and word == word.lower()))
        if bad:
            raise ValueError(f"aliases must be lowercase letters and digits (such as btc), not {bad}")
        return value

    @field_validator("quotes")
    @classmethod
    def _currencies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [q for q in value if not (q.isascii() and q.isalnum() and q == q.upper())]
        if bad:
            raise ValueError(f"quote currencies must be uppercase letters and digits (such as USDT), not {bad}")
        return value

    def alias_table(self) -> AliasTable:
        aliases = {
            word: Alias(a.symbol, MappingProxyType(dict(a.exchanges))) for word, a in self.aliases.items()
        }  # fmt: skip
        return AliasTable(MappingProxyType(aliases), self.default_quote, self.quotes)
