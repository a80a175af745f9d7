"""Request weight per caller over a rolling window, for ``X-MBX-USED-WEIGHT-1M`` and the 429 / -1003 refusal."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

_SWEEP_AT = 10_000  # callers tracked before the quiet ones are swept out


@dataclass(frozen=True, slots=True)
class WeightDecision:
    """Whether a request may run, the caller's weight used in the window, and when enough of it frees up."""

    allowed: bool
    used: int
    retry_after_ms: int


class WeightMeter:
    """Each caller (an API key, or a client address for keyless calls) may spend ``limit`` weight per window."""

    def __init__(self, limit: int, window_ms: int) -> None:
        self.limit = limit
        self._window = window_ms
        self._spent: dict[str, deque[tuple[int, int]]] = {}  # caller -> (ms, weight), oldest first
        self._used: dict[str, int] = {}

    def used(self, caller: str, now_ms: int) -> int:
        self._expire(caller, now_ms)
        return self._used.get(caller, 0)

    def charge(self, caller: str, weight: int, now_ms: int) -> WeightDecision:
        """Count ``weight`` for ``caller`` unless it would go over the limit; a refused request is not counted."""
        if len(self._spent) > _SWEEP_AT:  # callers that went quiet (e.g. made-up keys) are forgotten
            for quiet in list(self._spent):
                self._expire(quiet, now_ms)
        used = self.used(caller, now_ms)
        if used + weight > self.limit:
            frees_at = self._frees_at(caller, used + weight - self.limit)
            return WeightDecision(False, used, max(0, frees_at - now_ms) if frees_at else 0)
        self._spent.setdefault(caller, deque()).append((now_ms, weight))
        self._used[caller] = used + weight
        return WeightDecision(True, used + weight, 0)

    def _expire(self, caller: str, now_ms: int) -> None:
        spent = self._spent.get(caller)
        if not spent:
            return
        while spent and spent[0][0] <= now_ms - self._window:
            self._used[caller] -= spent.popleft()[1]
        if not spent:
            del self._spent[caller], self._used[caller]

    def _frees_at(self, caller: str, needed: int) -> int:
        """When at least ``needed`` of the caller's weight has left the window."""
        freed = 0
        for ms, weight in self._spent.get(caller, ()):
            freed += weight
            if freed >= needed:
                return ms + self._window
        return 0  # the request alone is over the limit: waiting does not help
