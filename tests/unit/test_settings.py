"""Loading the configuration: every refusal is one line naming the key, the file or the variable, and no secret."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tradewind.settings import ConfigError, load_settings

PG_PASSWORD = "S3cr3tPg"
MQ_PASSWORD = "S3cr3tMq"
ACCOUNT_SECRET = "S3cr3tAcct"
OPTION_SECRET = "S3cr3tOpt"
SECRETS = (PG_PASSWORD, MQ_PASSWORD, ACCOUNT_SECRET, OPTION_SECRET)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TRADEWIND_* of the machine, and no ./tradewind.yaml, take part."""
    for name in [n for n in os.environ if n.upper().startswith("TRADEWIND_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _refusal(path: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "\n" not in message
    assert not any(secret in message for secret in SECRETS), message
    return message


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tw.yaml"
    path.write_text(text)
    return path


def test_malformed_yaml_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    message = _refusal(_file(tmp_path, f"storage:\n  url: postgresql://u:{PG_PASSWORD}@h/x\nlogging: [\n"))
    assert message.startswith(f"config file {tmp_path / 'tw.yaml'} is not valid YAML at line 4, column 1:")


@pytest.mark.parametrize(("text", "kind"), [("- storage\n- logging\n", "list"), ("just words\n", "string")])
def test_a_top_level_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, kind: str) -> None:
    assert _refusal(_file(tmp_path, text)).endswith(
        f"must be a mapping of sections (storage:, logging:, ...), not a {kind}"
    )


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    assert "is empty (or only comments)" in _refusal(_file(tmp_path, text))


def test_the_default_file_is_read_and_refused_like_any_other(tmp_path: Path) -> None:
    (tmp_path / "tradewind.yaml").write_text("")
    assert _refusal().startswith("config file tradewind.yaml is empty")


def test_an_unknown_environment_section_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIND_NOPE__X", "1")
    assert _refusal().startswith("environment variable TRADEWIND_NOPE__X: no section 'nope'")


def test_an_unknown_environment_key_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIND_STORAGE__NOPE", "1")
    assert _refusal() == "invalid configuration: storage.nope: unknown key"


def test_variables_without_a_section_are_left_to_their_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIND_SERVICE", "storage")  # the service name of `tradewind service`
    monkeypatch.setenv("TRADEWIND_BYBIT_API_SECRET", ACCOUNT_SECRET)  # an exchange entry's credentials
    monkeypatch.setenv("TRADEWIND_MODE", "distributed")
    assert load_settings().mode == "distributed"


def test_every_bad_key_is_named_on_one_line(tmp_path: Path) -> None:
    message = _refusal(_file(tmp_path, "storage:\n  urll: sqlite:///x.db\nsimulator:\n  step_interval_ms: -5\n"))
    assert message == (
        f"invalid configuration in {tmp_path / 'tw.yaml'}: storage.urll: unknown key; "
        "simulator.step_interval_ms: Input should be greater than 0 (got -5)"
    )


@pytest.mark.parametrize(
    "accounts",
    [
        {"api_key": "k", "api_secret": ACCOUNT_SECRET},  # an object where a list belongs
        [{"api_key": "k", "api_secret": ACCOUNT_SECRET, "balances": {"usdt": 1}}],
        [{"api_key": "k", "api_secret": ACCOUNT_SECRET, "uid": "x"}, {"api_key": "k", "api_secret": ACCOUNT_SECRET}],
        [{"api_key": "k", "api_secret": ""}],
        [{"api_key": "k", "api_secret": [ACCOUNT_SECRET]}],
    ],
)
def test_a_refused_venue_account_never_shows_its_secret(monkeypatch: pytest.MonkeyPatch, accounts: object) -> None:
    monkeypatch.setenv("TRADEWIND_VENUE__ACCOUNTS", json.dumps(accounts))
    assert _refusal().startswith("invalid configuration: venue.accounts")


@pytest.mark.parametrize(
    "url",
    [
        f"http://u:{MQ_PASSWORD}@127.0.0.1:5672/",
        f"amqp//u:{MQ_PASSWORD}@127.0.0.1:5672/",
        f"amqp:/u:{MQ_PASSWORD}@127.0.0.1:5672/",
        f"u:{MQ_PASSWORD}@127.0.0.1:5672",
    ],
)
def test_a_bad_bus_url_is_refused_with_its_password_masked(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("TRADEWIND_DISTRIBUTED__BUS__URL", url)
    assert "distributed.bus.url: RabbitMQ url must be" in _refusal()


def test_a_refused_exchange_entry_never_shows_its_options(tmp_path: Path) -> None:
    config = f"exchanges:\n  entries:\n    bx:\n      type: bybit\n      options: {{walletSecret: {OPTION_SECRET}}}\n"
    assert "default exchange 'sim' is not among ['bx']" in _refusal(_file(tmp_path, config))


def test_credentials_in_options_are_refused(tmp_path: Path) -> None:
    config = f"exchanges:\n  entries:\n    sim: {{}}\n    bx: {{type: bybit, options: {{token: {OPTION_SECRET}}}}}\n"
    assert "options may not set ['token']" in _refusal(_file(tmp_path, config))


def test_the_printed_configuration_masks_every_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRADEWIND_STORAGE__URL", f"postgresql+psycopg://u:{PG_PASSWORD}@127.0.0.1:1/x")
    monkeypatch.setenv("TRADEWIND_DISTRIBUTED__BUS__URL", f"amqp://u:{MQ_PASSWORD}@127.0.0.1:1/")
    monkeypatch.setenv("TRADEWIND_VENUE__ACCOUNTS", json.dumps([{"api_key": "k", "api_secret": ACCOUNT_SECRET}]))
    config = (
        "exchanges:\n  entries:\n    sim: {sim_account: k}\n"
        f"    bx: {{type: bybit, api_secret_env: BX_SECRET, options: {{walletSecret: {OPTION_SECRET}, x: 1}}}}\n"
    )

    printed = load_settings(_file(tmp_path, config)).masked_json()

    assert not any(secret in printed for secret in SECRETS)
    shown = json.loads(printed)
    assert shown["storage"]["url"] == "postgresql+psycopg://u:***@127.0.0.1:1/x"
    assert shown["distributed"]["bus"]["url"] == "amqp://u:***@127.0.0.1:1/"
    assert shown["venue"]["accounts"][0]["api_secret"] == "***"
    bx = shown["exchanges"]["entries"]["bx"]
    assert (bx["options"], bx["api_secret_env"], bx["api_key_env"]) == (
        {"walletSecret": "***", "x": 1},
        "BX_SECRET",
        None,
    )
