"""The bot's token from ``telegram.token`` or ``telegram.token_file``; an unusable file named, never its content."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.interfaces.telegram.settings import TelegramSettings


def test_the_token_comes_from_the_setting_or_the_file_stripped(tmp_path: Path) -> None:
    assert TelegramSettings().bot_token() is None
    assert TelegramSettings.model_validate({"token": "123:abc"}).bot_token() == "123:abc"
    path = tmp_path / "token"
    path.write_text("  123:abc\n")
    assert TelegramSettings(token_file=path).bot_token() == "123:abc"


def test_an_unusable_token_file_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    # Read by the same function as http.token_file (its every failure is tested there): here, the bot's words.
    empty = tmp_path / "empty"
    empty.write_text("\n")
    for path, says in ((tmp_path / "missing", "cannot read"), (empty, "is empty")):
        with pytest.raises(ValueError, match=r"^telegram\.token_file: ") as caught:  # bootstrap's ConfigError says it
            TelegramSettings(token_file=path).bot_token()
        assert str(path) in str(caught.value) and says in str(caught.value)
