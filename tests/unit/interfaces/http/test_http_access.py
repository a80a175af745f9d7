"""The access rules of the HTTP API as values: Host names, which requests need the token, and its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.interfaces.http import ApiAccess, HttpSettings
from tradewind.interfaces.http.security import host_name
from tradewind.interfaces.token_file import TokenError
from tradewind.settings import ConfigError, load_settings

TOKEN = "unit-token-0123456789abcdef"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8000", "localhost"),
        ("127.0.0.1:8000", "127.0.0.1"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("x.org.", "x.org"),
        ("x.org.:443", "x.org"),
        (" api.x.org ", "api.x.org"),
        ("", ""),
    ],
)
def test_the_host_of_a_host_header_is_its_name_without_the_port(header: str, name: str) -> None:
    assert host_name(header) == name


def test_loopback_names_and_the_bind_host_are_allowed_and_reads_are_open_on_loopback() -> None:
    access = ApiAccess.from_settings(HttpSettings(), TOKEN)
    assert access.reads_open and access.token == TOKEN
    assert access.allowed_hosts == {"localhost", "127.0.0.1", "::1"}
    for host, reads_open in (("127.0.0.2", True), ("localhost", True), ("::1", True), ("10.0.0.5", False)):
        access = ApiAccess.from_settings(HttpSettings(host=host), TOKEN)
        assert host in access.allowed_hosts and access.reads_open is reads_open
    wildcard = ApiAccess.from_settings(HttpSettings(host="0.0.0.0", allowed_hosts=("Gateway.",)), None)
    assert wildcard.allowed_hosts == {"localhost", "127.0.0.1", "::1", "gateway"} and not wildcard.reads_open
    assert ApiAccess.from_settings(HttpSettings(host="::", open_reads=True), None).reads_open


def test_allowed_host_patterns() -> None:
    access = ApiAccess.from_settings(HttpSettings(allowed_hosts=("*.example.org",)), TOKEN)
    assert access.host_allowed("api.example.org") and access.host_allowed("a.b.example.org")
    assert not access.host_allowed("example.org") and not access.host_allowed("evilexample.org")
    assert not access.host_allowed("api.example.org.evil.net")
    assert ApiAccess.from_settings(HttpSettings(allowed_hosts=("*",)), TOKEN).host_allowed("anything.net")


@pytest.mark.parametrize(
    ("method", "path", "reads_open", "needs"),
    [
        ("POST", "/twap", True, True),
        ("DELETE", "/twap/x", True, True),
        ("PATCH", "/x", True, True),
        ("PUT", "/x", True, True),
        ("POST", "/healthz", True, True),
        ("GET", "/twap", True, False),
        ("HEAD", "/twap", True, False),
        ("GET", "/twap", False, True),
        ("GET", "/openapi.json", False, True),
        ("GET", "/healthz", False, False),
        ("OPTIONS", "/twap", True, False),
    ],
)
def test_which_requests_need_the_token(method: str, path: str, reads_open: bool, needs: bool) -> None:
    access = ApiAccess(TOKEN, reads_open, frozenset({"localhost"}))
    assert access.needs_token(method, path) is needs


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"token": "short-one"}, "at least 16 characters"),
        ({"token": "has a space in the middle"}, "printable ASCII without spaces"),
        ({"token": TOKEN, "token_file": "/run/secrets/token"}, "not both"),
        ({"cors_origins": ["*"]}, "name each origin"),
        ({"cors_origins": ["ops.example.org"]}, "scheme and host"),
        ({"cors_origins": ["https://ops.example.org/path"]}, "scheme and host"),
    ],
)
def test_bad_access_settings_are_one_line_naming_the_problem_never_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, values: dict[str, object], says: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./tradewind.yaml
    with pytest.raises(ConfigError, match=says) as caught:
        load_settings(None, http=values)
    message = str(caught.value)
    assert message.startswith("invalid configuration: http") and "\n" not in message
    assert "short-one" not in message and "has a space" not in message


def test_origins_lose_a_trailing_slash() -> None:
    assert HttpSettings(cors_origins=("https://ops.example.org/",)).cors_origins == ("https://ops.example.org",)


def test_the_token_comes_from_the_setting_or_the_file_stripped(tmp_path: Path) -> None:
    assert HttpSettings().configured_token() is None
    assert HttpSettings.model_validate({"token": " "}).token is None  # TRADEWIND_HTTP__TOKEN= is unset
    assert HttpSettings.model_validate({"token": TOKEN}).configured_token() == TOKEN
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n")
    assert HttpSettings(token_file=path).configured_token() == TOKEN


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "cannot read"), ("\n", "is empty"), ("tiny-secret\n", "at least 16"), (b"\xff\xfe", "not UTF-8")],
)
def test_an_unusable_token_file_is_one_line_naming_the_file_never_its_content(
    tmp_path: Path, content: str | bytes | None, says: str
) -> None:
    path = tmp_path / "token"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(TokenError) as caught:
        HttpSettings(token_file=path).configured_token()
    message = str(caught.value)
    assert message.startswith("http.token_file: ") and str(path) in message and says in message
    assert "tiny-secret" not in message and "\n" not in message


def test_the_token_from_the_environment_is_masked_in_the_printed_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEWIND_HTTP__TOKEN", TOKEN)
    settings = load_settings()
    assert settings.http.configured_token() == TOKEN
    printed = settings.masked_json()
    assert TOKEN not in printed and '"token": "***"' in printed
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.http)
