"""Anti-churn: a minimum holding time and a cap on round trips per pair per time window, on an injected clock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChurnRules:
    min_hold_ns: int
    max_round_trips: int  # openings of one pair within ``window_ns``
    window_ns: int

    def __post_init__(self) -> None:
        if self.min_hold_ns < 0 or self.max_round_trips < 1 or self.window_ns <= 0:
            raise ValueError("need min_hold_ns >= 0, max_round_trips >= 1 and window_ns > 0")


class ChurnGuard:
    """Counts each pair's openings in a sliding window; a spread may close once held ``min_hold_ns``."""

    def __init__(self, rules: ChurnRules) -> None:
        self.rules = rules
        self._opens: dict[str, deque[int]] = {}

    def may_open(self, pair_key: str, now_ns: int) -> bool:
        return self.trips(pair_key, now_ns) < self.rules.max_round_trips

    def may_close(self, opened_ns: int, now_ns: int) -> bool:
        return now_ns - opened_ns >= self.rules.min_hold_ns

    def record_open(self, pair_key: str, now_ns: int) -> None:
        self._opens.setdefault(pair_key, deque()).append(now_ns)

    def trips(self, pair_key: str, now_ns: int) -> int:
        """Openings of the pair within the window ending now."""
        opens = self._opens.get(pair_key)
        if opens is None:
            return 0
        while opens and opens[0] <= now_ns - self.rules.window_ns:
            opens.popleft()
        return len(opens)

    def forget(self, pair_key: str) -> None:
        self._opens.pop(pair_key, None)
