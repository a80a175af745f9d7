"""The command language's tokens: the words of a text, each with the column it starts at."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradewind.domain.command_language.errors import CommandSyntaxError

MAX_TEXT = 500  # characters: the longest command (a twap with every flag) is under 150
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Token:
    """One word as typed (``text``) and lowercased (``word``: the language is case-insensitive)."""

    text: str
    column: int  # 1-based, as an editor counts

    @property
    def word(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` split on whitespace; text longer than MAX_TEXT is refused before it is read."""
    if len(text) > MAX_TEXT:
        raise CommandSyntaxError(
            MAX_TEXT + 1, f"a command of at most {MAX_TEXT} characters", None,
            problem=f"the command is {len(text)} characters long, at most {MAX_TEXT} are read",
        )  # fmt: skip
    return [Token(m.group(), m.start() + 1) for m in _WORD.finditer(text)]
