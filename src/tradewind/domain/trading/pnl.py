"""Profit and loss of the position manager's deals: per position, per source and in total, fees included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import ZERO, Deal, DealStatus


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """An open BUY with the price it is marked at (None: no price known) and its unrealised result."""

    deal: Deal
    mark: Decimal | None
    unrealised: Decimal


@dataclass(slots=True)
class SourcePnl:
    """One source's results: realised over its closed positions, unrealised over its open ones."""

    realised: Decimal = ZERO
    unrealised: Decimal = ZERO
    open_positions: int = 0
    closed_positions: int = 0

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised


@dataclass(frozen=True, slots=True)
class PnlReport:
    """What ``GET /positions`` and ``tradewind positions`` show."""

    positions: tuple[OpenPosition, ...]
    by_source: Mapping[str, SourcePnl]
    realised: Decimal
    unrealised: Decimal
    differences: tuple[str, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised


def pnl_report(
    deals: Iterable[Deal], marks: Mapping[tuple[str, str, str], Decimal | None], differences: Iterable[str] = ()
) -> PnlReport:
    """The report over ``deals`` (BUY rows carry the positions), marked at ``marks`` by (exchange, category, symbol)."""
    by_source: dict[str, SourcePnl] = {}
    positions: list[OpenPosition] = []
    for deal in deals:
        if deal.action is not Action.BUY:
            continue
        pnl = by_source.setdefault(deal.source, SourcePnl())
        if deal.is_open and deal.status is not DealStatus.PENDING:
            mark = marks.get((deal.exchange, deal.category.value, deal.symbol))
            unrealised = deal.unrealised_pnl(mark)
            positions.append(OpenPosition(deal, mark, unrealised))
            pnl.unrealised += unrealised
            pnl.open_positions += 1
        elif deal.status is DealStatus.CLOSED:
            pnl.realised += deal.realised_pnl()
            pnl.closed_positions += 1
    realised = sum((p.realised for p in by_source.values()), ZERO)
    unrealised = sum((p.unrealised for p in by_source.values()), ZERO)
    return PnlReport(tuple(positions), dict(sorted(by_source.items())), realised, unrealised, tuple(differences))
