"""The fault plan: rules and one seeded random generator; pure decisions, no I/O.

Given the facts of a request or a message (which kinds could apply, the caller's key, the route, the venue time),
``draw`` says which rules fire. Rules are tried in their order and a matching rule with a probability strictly
between 0 and 1 takes one draw, so the same seed and the same sequence of requests give the same faults: a
failing test replays. ``replace`` swaps the rules at run time (the admin route) and restarts the generator.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from tradewind.interfaces.sim_exchange.faults.settings import (
    FaultKind,
    FaultParams,
    FaultSettings,
    LatencyParams,
)


@dataclass(slots=True)
class FaultRule:
    """A rule in force: its window resolved onto the venue clock, and how often it fired."""

    kind: FaultKind
    account: str | None
    route: str
    probability: float
    count: int | None
    start_ms: int | None
    end_ms: int | None
    params: FaultParams
    fired: int = 0

    def applies(self, account: str | None, route: str, now_ms: int) -> bool:
        """Whether this request or message is one the rule is about (before the dice)."""
        if self.count is not None and self.fired >= self.count:
            return False
        if self.start_ms is not None and now_ms < self.start_ms:
            return False
        if self.end_ms is not None and now_ms >= self.end_ms:
            return False
        if self.account is not None and account != self.account:
            return False
        return self.route == "*" or fnmatchcase(route, self.route)


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that fired: its position in the plan, its kind and parameters, and a delay drawn for latency."""

    rule: int
    kind: FaultKind
    params: FaultParams
    delay_ms: int = 0


class FaultPlan:
    """The simulator's current faults. Empty (the default) it answers ``active`` false and nothing is drawn."""

    def __init__(self, settings: FaultSettings | None = None, now_ms: int = 0) -> None:
        self.settings = FaultSettings()
        self.installed_ms = 0
        self.rules: list[FaultRule] = []
        self._kinds: frozenset[FaultKind] = frozenset()
        self._rng = random.Random(0)
        self.replace(settings or FaultSettings(), now_ms)

    def replace(self, settings: FaultSettings, now_ms: int) -> None:
        """Put ``settings`` in force from ``now_ms`` (``for_s`` windows start now); the generator restarts."""
        rules = []
        for r in settings.rules:
            start, end = r.start_ms, r.end_ms
            if r.for_s is not None:
                start, end = now_ms, now_ms + int(r.for_s * 1000)
            rules.append(FaultRule(r.kind, r.account, r.route, r.probability, r.count, start, end, r.typed_params()))
        self.settings, self.installed_ms, self.rules = settings, now_ms, rules
        self._kinds = frozenset(r.kind for r in rules)
        self._rng = random.Random(settings.seed)

    def clear(self, now_ms: int) -> None:
        self.replace(FaultSettings(), now_ms)

    @property
    def active(self) -> bool:
        return bool(self._kinds)

    def has_any(self, kinds: Collection[FaultKind]) -> bool:
        """The fast path: False when no rule of these kinds exists, so the caller builds no facts."""
        return not self._kinds.isdisjoint(kinds)

    def draw(self, kinds: Collection[FaultKind], *, account: str | None, route: str, now_ms: int) -> list[Hit]:
        """The rules of ``kinds`` that fire for this request or message, in plan order."""
        hits: list[Hit] = []
        for n, rule in enumerate(self.rules):
            if rule.kind not in kinds or not rule.applies(account, route, now_ms):
                continue
            if rule.probability < 1 and (rule.probability == 0 or self._rng.random() >= rule.probability):
                continue
            rule.fired += 1
            delay = self._latency(rule.params) if isinstance(rule.params, LatencyParams) else 0
            hits.append(Hit(n, rule.kind, rule.params, delay))
        return hits

    def first(self, kind: FaultKind, *, account: str | None, route: str, now_ms: int) -> Hit | None:
        hits = self.draw((kind,), account=account, route=route, now_ms=now_ms)
        return hits[0] if hits else None

    def split(self, lots: int, max_pieces: int) -> list[int]:
        """``lots`` cut into 2..``max_pieces`` positive pieces at random points; they sum to ``lots`` exactly."""
        if lots < 2:
            return [lots]
        pieces = self._rng.randint(2, min(max_pieces, lots))
        cuts = sorted(self._rng.sample(range(1, lots), pieces - 1))
        return [b - a for a, b in zip([0, *cuts], [*cuts, lots], strict=True)]

    def _latency(self, p: LatencyParams) -> int:
        rng = self._rng
        if p.dist == "fixed":
            value = float(p.ms)
        elif p.dist == "uniform":
            assert p.max_ms is not None
            value = float(rng.randint(p.ms, p.max_ms))
        elif p.dist == "pareto":
            value = p.ms * rng.paretovariate(p.alpha)
        else:
            value = p.ms * rng.lognormvariate(0.0, p.sigma)
        return int(min(value, p.cap_ms))

    def describe(self) -> dict[str, Any]:
        """The plan as JSON: the settings as given, and per rule its resolved window and how often it fired."""
        rules = [
            {**given.model_dump(mode="json"), "window_ms": [r.start_ms, r.end_ms], "fired": r.fired}
            for given, r in zip(self.settings.rules, self.rules, strict=True)
        ]
        return {"seed": self.settings.seed, "installed_ms": self.installed_ms, "rules": rules}
