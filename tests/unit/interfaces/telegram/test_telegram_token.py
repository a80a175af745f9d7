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


@pytest.mark.parametrize(("content", "says"), [(None, "cannot read"), ("\n", "is empty"), (b"\xff\xfe", "not UTF-8")])
def test_an_unusable_token_file_is_a_value_error_naming_the_file(
    tmp_path: Path, content: str | bytes | None, says: str
) -> None:
    path = tmp_path / "token"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(ValueError, match=r"^telegram\.token_file: ") as caught:  # bootstrap's ConfigError says it
        TelegramSettings(token_file=path).bot_token()
    assert str(path) in str(caught.value) and says in str(caught.value)
