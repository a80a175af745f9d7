"""An in-memory ``LakeWriter``: stores each distinct event once, and can be switched off like a store that is down."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tradewind.application.ports.lake import LakeWriter


class InMemoryLake:
    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {}
        self.writes = 0
        self.down = False

    def refusal(self, topic_kind: str, item: Any) -> str | None:
        qty = getattr(item, "qty", Decimal(0))
        exponent = qty.as_tuple().exponent
        return "qty has more than 18 decimal places" if isinstance(exponent, int) and exponent < -18 else None

    async def write(self, topic_kind: str, items: Sequence[Any]) -> int:
        if self.down:
            raise OSError("the lake is down")
        stored = self.rows.setdefault(topic_kind, [])
        fresh = [item for item in dict.fromkeys(items) if item not in stored]
        stored.extend(fresh)
        self.writes += 1
        return len(fresh)


_conforms: LakeWriter = InMemoryLake()
