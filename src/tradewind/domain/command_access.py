"""Who may run which command: the role each typed command needs, and which commands ask for confirmation first.

One table for every front end (Telegram, ``POST /commands``, the terminal); ``docs/commands.md`` prints it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from tradewind.domain.commands import (
    ArchiveTwap,
    CancelTwap,
    CloseAll,
    CloseTrade,
    Command,
    Confirm,
    CreateTwap,
    DryRun,
    Help,
    ListDeals,
    ListPositions,
    ListSubscriptions,
    ListTrades,
    ListTwaps,
    OpenTrade,
    PauseTwap,
    Quit,
    ResumeTwap,
    ShowBalance,
    ShowBook,
    ShowPositionStatus,
    ShowStatus,
    ShowTwap,
    Subscribe,
    TwapReport,
    Unsubscribe,
)


class Role(StrEnum):
    """``view`` reads, ``trade`` also changes trades, jobs and subscriptions, ``admin`` also stops the system."""

    VIEW = "view"
    TRADE = "trade"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {Role.VIEW: 0, Role.TRADE: 1, Role.ADMIN: 2}

# A dry run changes nothing, so viewing suffices; confirming needs no role of its own: the command it carries out
# is checked again against the user who confirms.
REQUIRED_ROLE: dict[type[Command], Role] = {
    ShowTwap: Role.VIEW, ListTwaps: Role.VIEW, TwapReport: Role.VIEW, ListSubscriptions: Role.VIEW,
    ShowBook: Role.VIEW, ListPositions: Role.VIEW, ListTrades: Role.VIEW, ListDeals: Role.VIEW,
    ShowBalance: Role.VIEW, ShowPositionStatus: Role.VIEW, ShowStatus: Role.VIEW, Help: Role.VIEW, DryRun: Role.VIEW,
    Confirm: Role.VIEW,
    CreateTwap: Role.TRADE, PauseTwap: Role.TRADE, ResumeTwap: Role.TRADE, CancelTwap: Role.TRADE,
    ArchiveTwap: Role.TRADE, Subscribe: Role.TRADE, Unsubscribe: Role.TRADE, OpenTrade: Role.TRADE,
    CloseTrade: Role.TRADE, CloseAll: Role.TRADE,
    Quit: Role.ADMIN,
}  # fmt: skip

# Commands that undo much at once or cannot be undone: they wait for ``confirm CODE`` from the same user.
CONFIRMED: frozenset[type[Command]] = frozenset({CloseAll, CancelTwap, Quit})


def required_role(command: Command) -> Role:
    """The least role that may run ``command``."""
    return REQUIRED_ROLE[type(command)]


def needs_confirmation(command: Command) -> bool:
    return type(command) in CONFIRMED


@dataclass(frozen=True, slots=True)
class User:
    """Someone a front end recognised: a configured user's name and role."""

    name: str
    role: Role

    def may(self, command: Command) -> bool:
        return self.role.allows(required_role(command))


@dataclass(frozen=True, slots=True)
class UserDirectory:
    """Each front end's identities of the configured users: Telegram chat ids, HTTP bearer tokens, the terminal."""

    chats: Mapping[int, User]
    tokens: Mapping[str, User]
    terminal: User
    named: Mapping[str, User] = field(default_factory=lambda: MappingProxyType({}))  # by name, for plugins

    def by_chat(self, chat_id: int) -> User | None:
        return self.chats.get(chat_id)

    def by_token(self, token: str) -> User | None:
        """The user of a bearer token; compared in constant time against each."""
        found = None
        for known, user in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = user
        return found
