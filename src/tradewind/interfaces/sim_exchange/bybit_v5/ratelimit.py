"""Per key and endpoint rolling-window rate limits, with the numbers for Bybit's X-Bapi-Limit* headers."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether one call may pass, and what the headers say: limit, calls left, when the window frees up."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        return {
            "X-Bapi-Limit": str(self.limit),
            "X-Bapi-Limit-Status": str(self.remaining),
            "X-Bapi-Limit-Reset-Timestamp": str(self.reset_ms),
        }


class RateLimiter:
    """``limits`` maps an endpoint bucket (``/v5/order/create:spot`` or ``/v5/order/create``) to calls per window."""

    def __init__(self, limits: Mapping[str, int], default_limit: int, window_ms: int = 1000) -> None:
        self._limits = dict(limits)
        self._default = default_limit
        self._window = window_ms
        self._calls: dict[tuple[str, str], deque[int]] = {}

    def bucket(self, path: str, category: str | None) -> str:
        """The limit that applies: a category-specific one first, then the path's, then the default."""
        if category and f"{path}:{category}" in self._limits:
            return f"{path}:{category}"
        return path

    def limit_of(self, bucket: str) -> int:
        return self._limits.get(bucket, self._default)

    def hit(self, key: str, bucket: str, now_ms: int) -> RateDecision:
        """Count one call by ``key`` on ``bucket`` at ``now_ms`` unless the window is full."""
        limit = self.limit_of(bucket)
        calls = self._calls.setdefault((key, bucket), deque())
        while calls and calls[0] <= now_ms - self._window:
            calls.popleft()
        if len(calls) >= limit:
            return RateDecision(False, limit, 0, calls[0] + self._window)
        calls.append(now_ms)
        return RateDecision(True, limit, limit - len(calls), calls[0] + self._window)
