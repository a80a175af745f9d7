"""Signatures already used (either face): the same signed request sent again while its window is open is refused."""

from __future__ import annotations

from collections import OrderedDict


class ReplayGuard:
    """Per API key, the signatures seen and when each one's window closes; bounded by ``per_key`` entries."""

    def __init__(self, per_key: int = 10_000) -> None:
        self._per_key = per_key
        self._seen: dict[str, OrderedDict[str, int]] = {}

    def first_use(self, api_key: str, sign: str, valid_until_ms: int, now_ms: int) -> bool:
        """Record ``sign`` and say True, or say False if it was seen and its window is still open."""
        seen = self._seen.setdefault(api_key, OrderedDict())
        while seen:  # forget what is out of window (oldest first; entries expire roughly in arrival order)
            oldest, until = next(iter(seen.items()))
            if until >= now_ms:
                break
            del seen[oldest]
        previous = seen.get(sign)
        if previous is not None and previous >= now_ms:
            return False
        seen[sign] = valid_until_ms
        if len(seen) > self._per_key:  # a key signing faster than this within one window loses its oldest entries
            seen.popitem(last=False)
        return True

    def remembered(self, api_key: str) -> int:
        return len(self._seen.get(api_key, ()))
