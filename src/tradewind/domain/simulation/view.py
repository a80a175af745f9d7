"""What a simulated trader sees (a read-only market view) and what it may do (actions)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tradewind.domain.instruments import Instrument
from tradewind.domain.values import OrderType, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class OwnOrder:
    """One of the trader's live orders, as the swarm last saw it."""

    order_id: str
    side: Side
    price: int
    leaves: int


@dataclass(frozen=True, slots=True)
class MarketView:
    """The book's top, the last trade and the trader's own state, at ``now_ns``; prices in ticks.

    ``fair_value`` (ticks, a float) is the latent value: only informed traders (market makers) use it.
    """

    now_ns: int
    best_bid: int | None
    best_ask: int | None
    last_price: int | None
    fair_value: float
    orders: Mapping[str, OwnOrder]
    position: int  # lots, long positive

    @property
    def mid(self) -> float | None:
        """Mid in ticks; falls back to the last trade when a side is empty."""
        if self.best_bid is not None and self.best_ask is not None:
            return (self.best_bid + self.best_ask) / 2.0
        return None if self.last_price is None else float(self.last_price)


@dataclass(frozen=True, slots=True)
class Submit:
    order_id: str
    side: Side
    order_type: OrderType
    lots: int
    price: int | None = None
    tif: TimeInForce = TimeInForce.GTC


@dataclass(frozen=True, slots=True)
class Cancel:
    order_id: str


@dataclass(frozen=True, slots=True)
class Amend:
    """Move a live order to ``price`` and/or set its remaining lots."""

    order_id: str
    price: int | None = None
    lots: int | None = None


Action = Submit | Cancel | Amend


class Trader(Protocol):
    """A simulated trader: given a view, it returns the actions to apply now, in order."""

    @property
    def name(self) -> str: ...

    def decide(self, view: MarketView) -> Sequence[Action]: ...


@runtime_checkable
class Quoter(Trader, Protocol):
    """A liquidity provider. Every quoter withdraws before anyone decides in a step: makers are
    faster than the step, so a move of the fair value does not let one maker pick off another's
    stale quotes (which would be an artefact of stepping them one after the other)."""

    def withdraw(self, view: MarketView) -> Sequence[Action]: ...


class OrderIds:
    """Deterministic, unique order ids ``{name}-{n}`` for one trader."""

    __slots__ = ("_n", "_prefix")

    def __init__(self, name: str) -> None:
        self._prefix = f"{name}-"
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return f"{self._prefix}{self._n}"


class LotSizer:
    """Turns a quote-currency notional into a valid lot count (explicit floor, filters respected)."""

    __slots__ = ("_lot", "_max_lots", "_min_lots", "_min_notional", "_tick")

    def __init__(self, instrument: Instrument) -> None:
        self._tick = float(instrument.tick_size)
        self._lot = float(instrument.qty_step)
        self._min_lots = max(1, math.ceil(instrument.min_qty / instrument.qty_step))
        self._max_lots = int(instrument.max_qty / instrument.qty_step)
        self._min_notional = float(instrument.min_notional)

    def lots(self, notional: float, price_ticks: float) -> int:
        """Lots worth about ``notional`` at ``price_ticks``, raised to the filters' minimum, capped at max."""
        unit = price_ticks * self._tick * self._lot  # quote value of one lot
        if unit <= 0.0:
            return 0
        floor_by_notional = math.ceil(self._min_notional * 1.01 / unit)
        lots = max(math.floor(notional / unit), self._min_lots, floor_by_notional)
        return min(lots, self._max_lots)

    def notional(self, lots: int, price_ticks: float) -> float:
        return lots * price_ticks * self._tick * self._lot
