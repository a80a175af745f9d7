"""The ``commands`` section: the command language's market aliases and the rule for words that are not listed."""

from __future__ import annotations

from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from tradewind.domain.command_access import Role, User, UserDirectory
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


class UserSettings(BaseModel):
    """A user of the text front ends: a role and the identities each front end knows them by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_.-]{1,32}$")
    role: Role = Role.VIEW
    telegram_chats: tuple[int, ...] = ()  # chat ids allowed to command as this user (the Telegram allowlist)
    http_tokens: tuple[SecretStr, ...] = ()  # bearer tokens of POST /commands (and the other routes) as this user
    terminal: bool = False  # the operator at `tradewind run`'s prompt is this user
    notify: bool = True  # Telegram: send this user's chats TWAP fills, trades and deals opened and closed

    @field_validator("http_tokens")
    @classmethod
    def _tokens(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for token in value:
            raw = token.get_secret_value()
            if len(raw) < 16 or not all("!" <= c <= "~" for c in raw):
                raise ValueError("an http token must be at least 16 printable ASCII characters without spaces")
        return value


# The longest a journal limit may be (100 years): beyond it, a cutoff is not a date any more.
MAX_JOURNAL_DAYS = 36_500
# Telegram hands an update whose offset was not confirmed to the bot again for up to 24 hours, under the same
# update id (its idempotency key): a command receipt kept for less could let such an update run twice.
MIN_RECEIPT_DAYS = 1


class JournalSettings(BaseModel):
    """How long the command journal keeps its rows, in days (None: for ever); the running system prunes them with
    the market data's retention, every ``recorder.retention_check_s``, and ``tradewind db prune`` on demand."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # A command's receipt: the same idempotency key within this window answers the recorded outcome, runs nothing.
    receipts_days: float | None = Field(30.0, ge=MIN_RECEIPT_DAYS, le=MAX_JOURNAL_DAYS)
    # A notice sent to a chat (one row per notice and chat): what keeps a redelivered notice from being sent again.
    notice_receipts_days: float | None = Field(7.0, gt=0, le=MAX_JOURNAL_DAYS)
    # The audit log (who sent what, from where, and what came of it): kept unless an operator bounds it.
    audit_days: float | None = Field(None, gt=0, le=MAX_JOURNAL_DAYS)

    @property
    def limited(self) -> bool:
        """Whether any row of the journal is ever pruned."""
        return any(days is not None for days in (self.receipts_days, self.notice_receipts_days, self.audit_days))


class CommandsSettings(BaseModel):
    """Aliases (lowercase word -> market); an unlisted word ending in one of ``quotes`` is a symbol as it is,
    any other word gets ``default_quote`` appended (``doge`` -> ``DOGEUSDT``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aliases: dict[str, AliasSettings] = Field(default_factory=_default_aliases)
    default_quote: str = Field("USDT", pattern=_CURRENCY)
    quotes: tuple[str, ...] = ("USDT", "USDC", "BTC", "ETH", "EUR")
    users: tuple[UserSettings, ...] = ()
    terminal_role: Role = Role.ADMIN  # the local operator's role when no user is marked terminal
    confirm_ttl_s: float = Field(120.0, gt=0, le=3600)  # how long `confirm CODE` is accepted
    journal: JournalSettings = Field(default_factory=JournalSettings)

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

    @model_validator(mode="after")
    def _unique_identities(self) -> CommandsSettings:
        names = [u.name for u in self.users]
        chats = [c for u in self.users for c in u.telegram_chats]
        tokens = [t.get_secret_value() for u in self.users for t in u.http_tokens]
        terminals = [u.name for u in self.users if u.terminal]
        for what, values in (("user name", names), ("telegram chat id", chats), ("http token", tokens)):
            if len(set(values)) != len(values):
                raise ValueError(f"commands.users: each {what} may belong to one user only")
        if len(terminals) > 1:
            raise ValueError(f"commands.users: one user at most is the terminal, not {terminals}")
        return self

    def directory(self, admin_token: str | None = None) -> UserDirectory:
        """Who is who on each front end; ``admin_token`` (``http.token``) is the user ``http`` with role admin."""
        users = {u.name: User(u.name, u.role) for u in self.users}
        chats = {chat: users[u.name] for u in self.users for chat in u.telegram_chats}
        tokens = {t.get_secret_value(): users[u.name] for u in self.users for t in u.http_tokens}
        if admin_token is not None:
            tokens.setdefault(admin_token, User("http", Role.ADMIN))
        terminal = next((users[u.name] for u in self.users if u.terminal), User("operator", self.terminal_role))
        return UserDirectory(MappingProxyType(chats), MappingProxyType(tokens), terminal, MappingProxyType(users))

    def notified_chats(self) -> tuple[int, ...]:
        return tuple(chat for u in self.users if u.notify for chat in u.telegram_chats)

    def alias_table(self) -> AliasTable:
        aliases = {
            word: Alias(a.symbol, MappingProxyType(dict(a.exchanges))) for word, a in self.aliases.items()
        }  # fmt: skip
        return AliasTable(MappingProxyType(aliases), self.default_quote, self.quotes)
