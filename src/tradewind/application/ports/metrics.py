"""What a service process reports about itself (counts, gauges) and serves on ``/metrics``."""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    def count_error(self, where: str, times: int = 1) -> None: ...

    def set_queue_lag(self, queue: str, depth: int) -> None: ...

    def count_resync(self, exchange: str, category: str, symbol: str) -> None:
        """A market-data book dropped and resubscribed (a gap, a disconnect, a stream error)."""
        ...

    def count_stale_book(self, exchange: str, category: str, symbol: str) -> None:
        """The spread signal engine skipped an evaluation because this market's book was too old."""
        ...

    def set_up(self, up: bool) -> None: ...

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in their exposition format, and its content type."""
        ...

    def sent(self) -> dict[str, int]:
        """Messages published so far, by topic kind."""
        ...

    def received(self) -> dict[str, int]: ...
