"""The recorder's spill as a JSON-lines file: one ``{"kind": ..., "row": ...}`` object per line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tradewind.application.ports.spill import SpilledRow

# Kinds as files written before the message registry named them; read so that such a file is not lost.
_OLD_KINDS = {"trade": "md.trade", "mid": "md.mid", "book": "md.book", "order": "order.event"}


def _lines(rows: Sequence[SpilledRow]) -> str:
    return "".join(json.dumps({"kind": kind, "row": row}) + "\n" for kind, row in rows)


class JsonLinesSpill:
    """Appends to ``path``; a claim renames it to ``<path>.loading``, which stays until settled empty (crash-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._loading = path.with_suffix(path.suffix + ".loading")

    def add(self, rows: Sequence[SpilledRow]) -> None:
        with self.path.open("a", encoding="utf-8") as spill:
            spill.write(_lines(rows))

    def claim(self) -> list[SpilledRow]:
        if not self._loading.exists():
            if not self.path.exists():
                return []
            self.path.rename(self._loading)
        rows: list[SpilledRow] = []
        for line in self._loading.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            rows.append((_OLD_KINDS.get(record["kind"], record["kind"]), record["row"]))
        if not rows:  # an empty claim left behind must not hide the rows spilled since
            self._loading.unlink()
        return rows

    def settle(self, remaining: Sequence[SpilledRow]) -> None:
        if remaining:
            self._loading.write_text(_lines(remaining), encoding="utf-8")
        else:
            self._loading.unlink(missing_ok=True)
