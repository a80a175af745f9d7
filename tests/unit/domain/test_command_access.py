"""The role each command needs and which ask for confirmation: one table, complete, for every front end."""

from __future__ import annotations

from typing import get_args

import pytest

from tradewind.domain.command_access import CONFIRMED, REQUIRED_ROLE, Role, User, UserDirectory, required_role
from tradewind.domain.commands import (
    CancelTwap,
    CloseAll,
    Command,
    CreateTwap,
    DryRun,
    Help,
    OpenTrade,
    Quit,
    ShowStatus,
    Subscribe,
)


def _command_types() -> set[type]:
    found: set[type] = set()
    pending = list(get_args(Command))
    while pending:
        kind = pending.pop()
        inner = get_args(kind)
        if inner:
            pending.extend(inner)
        else:
            found.add(kind)
    return found


def test_every_command_type_has_a_role() -> None:
    assert set(REQUIRED_ROLE) == _command_types()


@pytest.mark.parametrize(
    ("kind", "role"),
    [(ShowStatus, Role.VIEW), (Help, Role.VIEW), (DryRun, Role.VIEW), (CreateTwap, Role.TRADE),
     (Subscribe, Role.TRADE), (OpenTrade, Role.TRADE), (CancelTwap, Role.TRADE), (CloseAll, Role.TRADE),
     (Quit, Role.ADMIN)],
)  # fmt: skip
def test_reading_needs_view_changing_needs_trade_and_stopping_needs_admin(kind: type, role: Role) -> None:
    assert REQUIRED_ROLE[kind] is role


def test_roles_are_ordered_and_each_allows_what_is_below_it() -> None:
    allowed = {(have, need) for have in Role for need in Role if have.allows(need)}
    assert allowed == {
        (Role.VIEW, Role.VIEW), (Role.TRADE, Role.VIEW), (Role.TRADE, Role.TRADE),
        (Role.ADMIN, Role.VIEW), (Role.ADMIN, Role.TRADE), (Role.ADMIN, Role.ADMIN),
    }  # fmt: skip
    assert not User("v", Role.VIEW).may(Quit()) and User("a", Role.ADMIN).may(Quit())
    assert required_role(CloseAll()) is Role.TRADE


def test_the_destructive_commands_ask_for_confirmation() -> None:
    assert {CloseAll, CancelTwap, Quit} == CONFIRMED


def test_a_token_finds_its_user_and_an_unknown_one_none() -> None:
    alice = User("alice", Role.TRADE)
    directory = UserDirectory({}, {"a" * 20: alice}, User("operator", Role.ADMIN))
    assert directory.by_token("a" * 20) is alice
    assert directory.by_token("a" * 19) is None and directory.by_chat(1) is None
