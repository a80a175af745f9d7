"""Completion for the terminal prompt: what may come next, from the grammar's vocabulary and the aliases."""

from __future__ import annotations

import pytest

from tradewind.domain.command_language import DEFAULT_ALIASES, LanguageContext
from tradewind.domain.command_language.vocabulary import completions

CONTEXT = LanguageContext(DEFAULT_ALIASES, "sim", ("sim", "bybit"))


@pytest.mark.parametrize(
    ("before", "partial", "expected"),
    [
        ("", "", ["buy", "sell", "close", "twap", "subscribe", "unsubscribe", "positions", "trades", "deals",
                  "balance", "status", "help", "quit", "confirm"]),
        ("", "s", ["sell", "subscribe", "status"]),
        ("twap", "", ["buy", "sell", "list", "show", "pause", "resume", "cancel", "archive", "report"]),
        ("twap buy", "b", ["btc"]),
        ("twap buy btc 1", "o", ["over"]),
        ("buy", "", ["btc", "eth", "sol"]),
        ("buy btc 80", "-t", ["-tsl", "-tp"]),
        ("buy btc 80 -e", "b", ["bybit"]),
        ("subscribe eth -c", "", ["spot", "linear"]),
        ("close", "a", ["all"]),
        ("help", "tw", ["twap"]),
        ("status", "x", []),
    ],
)  # fmt: skip
def test_completions(before: str, partial: str, expected: list[str]) -> None:
    assert completions(before.split(), partial, CONTEXT) == expected
