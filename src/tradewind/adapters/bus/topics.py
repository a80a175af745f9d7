"""AMQP topic matching (``*`` one word, ``#`` zero or more), shared by the bus adapters."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> tuple[str, ...]:
    if not pattern or any(not w for w in pattern.split(".")):
        raise ValueError(f"invalid topic pattern {pattern!r}: words must be non-empty")
    return tuple(pattern.split("."))


def validate_topic(topic: str) -> None:
    """A concrete topic: non-empty dot-separated words without wildcards."""
    words = topic.split(".")
    if not topic or any(not w or w in ("*", "#") for w in words):
        raise ValueError(f"invalid topic {topic!r}: dot-separated non-empty words, no wildcards")


def matches(pattern: str, topic: str) -> bool:
    """True if ``topic`` is routed to a binding with ``pattern``."""
    return _match(_compile(pattern), tuple(topic.split(".")))


@lru_cache(maxsize=65536)
def _match(pat: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pat:
        return not words
    head, rest = pat[0], pat[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])
