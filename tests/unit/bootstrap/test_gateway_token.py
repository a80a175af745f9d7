"""Which bearer token the HTTP API takes: the configured one, else a generated one in one process, else none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.bootstrap.gateway import api_token
from tradewind.interfaces.http import HttpSettings
from tradewind.settings import ConfigError

TOKEN = "configured-0123456789abcdef"


@pytest.mark.parametrize("generate", [True, False])
def test_a_configured_token_is_used_as_is(generate: bool) -> None:
    token = api_token(HttpSettings.model_validate({"token": TOKEN}), generate=generate)
    assert (token.value, token.generated) == (TOKEN, False)


def test_without_one_a_single_process_generates_a_fresh_token_each_start() -> None:
    first, second = (api_token(HttpSettings(), generate=True) for _ in range(2))
    assert first.generated and first.value is not None and len(first.value) >= 32
    assert first.value != second.value
    assert first.value not in repr(first) and first.value not in str(first)


def test_without_one_a_distributed_gateway_has_none() -> None:
    token = api_token(HttpSettings(), generate=False)
    assert (token.value, token.generated) == (None, False)


def test_an_unreadable_token_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^http\.token_file: cannot read .*missing"):
        api_token(HttpSettings(token_file=tmp_path / "missing"), generate=True)
