"""Spill port: where the recorder keeps rows it cannot hold in memory until the database answers again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tradewind.application.ports.bus import JsonObject

SpilledRow = tuple[str, JsonObject]  # (topic kind, the row as its codec encodes it)


class SpillStore(Protocol):
    """Rows kept outside memory, oldest first; a write-back claims them and settles what it could not write."""

    def add(self, rows: Sequence[SpilledRow]) -> None:
        """Keep these rows (after every row kept before)."""
        ...

    def claim(self) -> list[SpilledRow]:
        """The rows to write back, oldest first: those of an unsettled claim, else every row kept so far."""
        ...

    def settle(self, remaining: Sequence[SpilledRow]) -> None:
        """Of the claimed rows, only ``remaining`` are still to write; none ends the claim."""
        ...
