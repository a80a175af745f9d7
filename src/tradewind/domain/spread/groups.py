"""Matching groups: instruments with the same ``matching_key``, compared pairwise in both directions."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

from tradewind.domain.market import InstrumentRef


@dataclass(frozen=True, slots=True)
class Pair:
    """One direction of a spread: ``long`` is bought on open, ``short`` is sold on open."""

    long: InstrumentRef
    short: InstrumentRef

    @property
    def key(self) -> str:
        """Stable name of the direction, e.g. ``sim:spot:BTCUSDT>sim:linear:BTCUSDT``."""
        return f"{leg_key(self.long)}>{leg_key(self.short)}"

    @property
    def group(self) -> str:
        return self.long.matching_key


def leg_key(ref: InstrumentRef) -> str:
    return f"{ref.exchange}:{ref.category.value}:{ref.symbol}"


class MatchingGroups:
    """Members of each matching key; every ordered pair of distinct members is a candidate spread."""

    def __init__(self) -> None:
        self._members: dict[str, list[InstrumentRef]] = {}

    def add(self, ref: InstrumentRef) -> bool:
        """Join ``ref`` to its group; False when it has no matching key or is already a member."""
        if not ref.matching_key:
            return False
        members = self._members.setdefault(ref.matching_key, [])
        if ref in members:
            return False
        members.append(ref)
        return True

    def remove(self, ref: InstrumentRef) -> bool:
        members = self._members.get(ref.matching_key)
        if members is None or ref not in members:
            return False
        members.remove(ref)
        if not members:
            del self._members[ref.matching_key]
        return True

    def members(self, key: str) -> tuple[InstrumentRef, ...]:
        return tuple(self._members.get(key, ()))

    def names(self) -> tuple[str, ...]:
        return tuple(self._members)

    def pairs(self, key: str) -> list[Pair]:
        """Every ordered pair of the group (n * (n - 1) directions); none for a group of one."""
        return [Pair(a, b) for a, b in permutations(self._members.get(key, ()), 2)]
