"""The lake port: durable, idempotent writes of decoded market-data events to object storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class LakeWriter(Protocol):
    """Writes events of one topic kind (``md.trade``, ...) so that writing the same event twice stores it once."""

    def refusal(self, topic_kind: str, item: Any) -> str | None:
        """Why ``item`` can never be stored (a value beyond the lake's exact decimals, an unknown kind), or None."""
        ...

    async def write(self, topic_kind: str, items: Sequence[Any]) -> int:
        """Store ``items`` durably before returning; rows already stored are skipped. Returns the rows written."""
        ...
