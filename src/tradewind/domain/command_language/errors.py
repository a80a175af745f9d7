"""The command language's one error type: where the input went wrong, what was expected, and the nearest word."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_SHOWN = 40  # how much of a bad word a message quotes


class CommandSyntaxError(ValueError):
    """Text that is not a command: ``column`` (1-based) of the word at fault, what was ``expected`` there,
    what was there instead (``got``, None at the end of the text) and the nearest known word (``suggestion``)."""

    def __init__(
        self,
        column: int,
        expected: str,
        got: str | None,
        suggestion: str | None = None,
        *,
        problem: str | None = None,
    ) -> None:
        self.column = column
        self.expected = expected
        self.got = got
        self.suggestion = suggestion
        said = problem or f"expected {expected}, got {quoted(got)}"
        hint = "" if suggestion is None else f' (did you mean "{suggestion}"?)'
        super().__init__(f"column {column}: {said}{hint}")


def quoted(word: str | None) -> str:
    """A word as an error message shows it: in double quotes, shortened; the end of the text as such."""
    if word is None:
        return "the end of the command"
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in word[:_SHOWN])
    return f'"{shown}"' + ("..." if len(word) > _SHOWN else "")


def nearest(word: str, known: Iterable[str]) -> str | None:
    """The known word closest to ``word`` (difflib's ratio of at least 0.6), if any."""
    found = difflib.get_close_matches(word.lower(), list(known), n=1, cutoff=0.6)
    return found[0] if found else None
