"""Exposure per (exchange, category, symbol) in base quantity, checked in quote notional against limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.values import Category

LegKey = tuple[str, Category, str]


@dataclass(frozen=True, slots=True)
class LegChange:
    """A signed base quantity added to a leg (buy positive), at the price that values it."""

    key: LegKey
    qty: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class ExposureLimits:
    per_instrument: Decimal  # ``max_risk_open_position``: |position| x price per (exchange, category, symbol)
    total: Decimal  # the sum of every instrument's

    def __post_init__(self) -> None:
        if self.per_instrument <= 0 or self.total <= 0:
            raise ValueError("exposure limits must be positive")


def _name(key: LegKey) -> str:
    return f"{key[0]} {key[1].value} {key[2]}"


class Exposure:
    """Signed positions by leg and the last price each was valued at."""

    def __init__(self) -> None:
        self.positions: dict[LegKey, Decimal] = {}
        self.prices: dict[LegKey, Decimal] = {}

    def notional(self, key: LegKey) -> Decimal:
        return abs(self.positions.get(key, Decimal(0))) * self.prices.get(key, Decimal(0))

    def total(self) -> Decimal:
        return sum((self.notional(k) for k in self.positions), Decimal(0))

    def refusal(self, changes: Iterable[LegChange], limits: ExposureLimits) -> str | None:
        """Why these changes would break a limit (None: they fit); a change that shrinks a position always fits."""
        positions = dict(self.positions)
        prices = dict(self.prices)
        grows = False
        for change in changes:
            before = abs(positions.get(change.key, Decimal(0)))
            positions[change.key] = positions.get(change.key, Decimal(0)) + change.qty
            prices[change.key] = change.price
            after = abs(positions[change.key])
            if after > before:
                grows = True
                if after * change.price > limits.per_instrument:
                    return (
                        f"exposure of {_name(change.key)} would be {after * change.price}, "
                        f"above max_risk_open_position {limits.per_instrument}"
                    )
        total = sum((abs(q) * prices.get(k, Decimal(0)) for k, q in positions.items()), Decimal(0))
        if grows and total > limits.total:
            return f"total exposure would be {total}, above max_total_exposure {limits.total}"
        return None

    def apply(self, changes: Iterable[LegChange]) -> None:
        for change in changes:
            self.positions[change.key] = self.positions.get(change.key, Decimal(0)) + change.qty
            self.prices[change.key] = change.price
            if not self.positions[change.key]:
                del self.positions[change.key]

    def snapshot(self) -> Mapping[LegKey, tuple[Decimal, Decimal]]:
        """Each open leg's signed quantity and notional."""
        return {k: (q, self.notional(k)) for k, q in sorted(self.positions.items())}
