"""The ``commands`` section: aliases from YAML become the parser's alias table; malformed aliases stop start-up."""

from __future__ import annotations

import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tradewind.bootstrap.commands import commands_over
from tradewind.domain.command_language import parse_command
from tradewind.domain.commands import OpenTrade
from tradewind.domain.values import Side
from tradewind.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.upper().startswith("TRADEWIND_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_default_aliases_are_btc_eth_and_sol_on_usdt() -> None:
    table = load_settings().commands.alias_table()
    assert {word: table.symbol(word, "sim") for word in table.words} == {
        "btc": "BTCUSDT", "eth": "ETHUSDT", "sol": "SOLUSDT"
    }  # fmt: skip


def test_aliases_from_yaml_reach_the_parser_of_the_command_service(tmp_path: Path) -> None:
    path = tmp_path / "tw.yaml"
    path.write_text(
        "exchanges:\n  default: sim\n  entries:\n    sim: {type: sim}\n    kraken: {type: kraken, env: mainnet}\n"
        "commands:\n  aliases:\n    xbt: {symbol: BTCUSDT, exchanges: {kraken: XBTUSDT}}\n  default_quote: USDC\n"
    )
    language = commands_over(load_settings(path), None).language
    assert language.exchanges == ("sim", "kraken") and language.default_exchange == "sim"
    trade = OpenTrade(Side.BUY, "XBTUSDT", Decimal(80), exchange="kraken")
    assert parse_command("buy xbt 80 -e kraken", language) == trade
    assert parse_command("buy xbt 80", language) == replace(trade, symbol="BTCUSDT", exchange="sim")
    assert parse_command("buy doge 80", language) == replace(trade, symbol="DOGEUSDC", exchange="sim")


@pytest.mark.parametrize(
    ("yaml", "says"),
    [
        ("commands:\n  aliases:\n    BTC: {symbol: BTCUSDT}\n", "aliases must be lowercase letters and digits"),
        ("commands:\n  aliases:\n    btc: {symbol: btcusdt}\n", "commands.aliases.btc.symbol"),
        ("commands:\n  aliases:\n    btc: {symbol: BTCUSDT, exchanges: {kraken: xbt-usdt}}\n", "exchange symbols"),
        ("commands:\n  aliases:\n    btc: {sym: BTCUSDT}\n", "commands.aliases.btc.sym: unknown key"),
        ("commands:\n  quotes: [usdt]\n", "quote currencies must be uppercase"),
    ],
)
def test_a_malformed_alias_is_refused_naming_it(tmp_path: Path, yaml: str, says: str) -> None:
    path = tmp_path / "tw.yaml"
    path.write_text(yaml)
    with pytest.raises(ConfigError, match=says.replace(".", r"\.")):
        load_settings(path)


USERS = [
    {"name": "ada", "role": "admin", "telegram_chats": [1, 2], "notify": False},
    {"name": "tina", "role": "trade", "telegram_chats": [3], "http_tokens": ["tina-token-0123456789"]},
    {"name": "vic", "http_tokens": ["vic-token-0123456789ab"], "terminal": True},
]


def test_users_map_each_front_ends_identities_to_a_name_and_role() -> None:
    settings = load_settings(commands={"users": USERS})
    users = settings.commands.directory(admin_token="the-http-token-0123456789")
    assert {chat: (u.name, u.role.value) for chat, u in users.chats.items()} == {
        1: ("ada", "admin"), 2: ("ada", "admin"), 3: ("tina", "trade"),
    }  # fmt: skip
    assert users.by_token("tina-token-0123456789") == users.named["tina"]
    assert users.by_token("the-http-token-0123456789") is not None
    assert users.by_token("the-http-token-0123456789").name == "http"  # type: ignore[union-attr]
    assert (users.terminal.name, users.terminal.role.value) == ("vic", "view")  # a view user is the terminal
    assert settings.commands.notified_chats() == (3,)
    assert "tina-token" not in settings.masked_json()


def test_without_a_terminal_user_the_operator_is_admin_unless_configured() -> None:
    assert load_settings().commands.directory().terminal.role.value == "admin"
    assert load_settings(commands={"terminal_role": "view"}).commands.directory().terminal.role.value == "view"


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([{"name": "a", "telegram_chats": [1]}, {"name": "b", "telegram_chats": [1]}], "each telegram chat id"),
        ([{"name": "a"}, {"name": "a"}], "each user name"),
        ([{"name": "a", "terminal": True}, {"name": "b", "terminal": True}], "one user at most is the terminal"),
        ([{"name": "a", "http_tokens": ["short"]}], "at least 16 printable ASCII"),
        ([{"name": "a", "role": "god"}], "commands.users.0.role"),
        ([{"name": "Not A Name"}], "commands.users.0.name"),
    ],
)
def test_bad_users_stop_start_up_naming_the_problem(users: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(commands={"users": users})
