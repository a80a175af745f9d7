"""Market makers: ladders of limit orders around a private estimate of the fair value.

The inner quote sits a few ticks from the maker's centre; deeper levels sit on a fixed price grid,
so a small move of the fair value only touches the inner quotes and the grid's edges. The centre
is skewed against inventory, and a maker that is full on one side stops quoting it. When the book is
calm, a maker whose centre lies inside a spread wider than one tick refills it: it joins one tick from
the opposite best, so the spread sits at one tick most of the time, as on a liquid perpetual.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tradewind.domain.simulation.view import Action, Amend, Cancel, LotSizer, MarketView, OrderIds, OwnOrder, Submit
from tradewind.domain.values import OrderType, Side

_NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class MarketMakerParams:
    """Quoting parameters; the population jitters them per maker so that makers differ."""

    half_spread_ticks: float = 1.0
    levels: int = 6  # per side, inner quote included
    level_spacing_ticks: int = 10  # grid step of the deeper levels
    level_notional: float = 20_000.0  # quote currency at the inner level
    depth_growth: float = 0.5  # level j carries level_notional * (1 + depth_growth * j)
    max_inventory_notional: float = 400_000.0
    skew_ticks: float = 15.0  # centre shift at full inventory
    value_noise_ticks: float = 1.5  # std of the maker's private error on the fair value
    value_noise_half_life_s: float = 30.0
    requote_probability: float = 1.0  # per step; otherwise the maker's quotes stay as they are (stale)
    refill_fraction: float = 1.5  # size of a one-tick refill, as a share of level_notional (0: never refill)
    calm_move_bp: float = 1.0  # the book is calm when the fair value moved less than this since the last step
    refill_max_inventory: float = 1.0  # no refill beyond this share of max inventory
    take_edge_ticks: float = 40.0  # a quote would cross only an opposite best mispriced by more than this

    def __post_init__(self) -> None:
        if self.half_spread_ticks < 0.5:
            raise ValueError(f"half_spread_ticks must be at least 0.5, got {self.half_spread_ticks}")
        if self.levels < 1 or self.level_spacing_ticks < 1:
            raise ValueError("levels and level_spacing_ticks must be at least 1")
        if self.level_notional <= 0 or self.max_inventory_notional <= 0 or self.depth_growth < 0:
            raise ValueError("level_notional and max_inventory_notional must be positive, depth_growth >= 0")
        if self.value_noise_ticks < 0 or self.value_noise_half_life_s <= 0 or self.skew_ticks < 0:
            raise ValueError("value noise must not be negative, its half-life positive, skew_ticks >= 0")
        if (
            self.refill_fraction < 0
            or self.calm_move_bp < 0
            or self.take_edge_ticks < 0
            or not 0 <= self.refill_max_inventory <= 1
        ):
            raise ValueError("refill_fraction and calm_move_bp must not be negative, refill_max_inventory in [0, 1]")
        if not 0.0 < self.requote_probability <= 1.0:
            raise ValueError(f"requote_probability must be in (0, 1], got {self.requote_probability}")


Quote = tuple[int, int]  # (price ticks, lots)


def _post_only(side: Side, quotes: list[Quote], view: MarketView, centre: float, take_edge: float) -> list[Quote]:
    """Quotes that would cross the opposite best join one tick behind it instead, as post-only orders do,
    unless that best is mispriced by more than ``take_edge`` ticks against ``centre`` (a stale quote: take it).

    Makers then trade with takers, not with each other whenever their centres disagree by a few ticks.
    """
    if side is Side.BUY:
        limit = None if view.best_ask is None else view.best_ask - 1
        if limit is None or all(px <= limit for px, _ in quotes) or limit + 1 < centre - take_edge:
            return quotes
        clamped = [(min(px, limit), lots) for px, lots in quotes]
    else:
        limit = None if view.best_bid is None else view.best_bid + 1
        if limit is None or all(px >= limit for px, _ in quotes) or limit - 1 > centre + take_edge:
            return quotes
        clamped = [(max(px, limit), lots) for px, lots in quotes]
    seen: set[int] = set()
    out: list[Quote] = []
    for px, lots in clamped:
        if px not in seen and px > 0:
            seen.add(px)
            out.append((px, lots))
    return out


class MarketMaker:
    """Keeps a two-sided ladder around ``fair value + private error - inventory skew``."""

    def __init__(self, name: str, params: MarketMakerParams, sizer: LotSizer, rng: random.Random) -> None:
        self._name, self.params, self._sizer, self._rng = name, params, sizer, rng
        self._ids = OrderIds(name)
        self._error = rng.gauss(0.0, params.value_noise_ticks)
        self._last_ns: int | None = None
        self._last_centre: float | None = None
        self._pending: tuple[Side, list[Quote]] | None = None
        self._grid_phase = rng.randrange(params.level_spacing_ticks)  # makers' grids interleave, not stack
        self._last_fair: float | None = None
        self._calm = False
        self._inventory = 0.0
        self._refills: dict[Side, str] = {}  # side -> id of the one-tick refill order, outside the ladder

    @property
    def name(self) -> str:
        return self._name

    def _update_error(self, now_ns: int) -> None:
        p = self.params
        if self._last_ns is not None and now_ns > self._last_ns:
            decay = math.exp(-math.log(2.0) * (now_ns - self._last_ns) / (p.value_noise_half_life_s * _NS_PER_S))
            shock = self._rng.gauss(0.0, 1.0)
            self._error = self._error * decay + p.value_noise_ticks * math.sqrt(1.0 - decay * decay) * shock
        self._last_ns = now_ns

    def withdraw(self, view: MarketView) -> Sequence[Action]:
        """Compute this step's ladder and move the retreating side: the one the fair value moved away from."""
        p = self.params
        self._update_error(view.now_ns)
        self._pending = None
        fair = view.fair_value
        moved_bp = 0.0 if self._last_fair is None else abs(fair / self._last_fair - 1.0) * 1e4
        self._last_fair = fair
        self._calm = moved_bp < p.calm_move_bp
        for side, oid in list(self._refills.items()):
            if oid not in view.orders:
                del self._refills[side]  # filled or gone
        if self._last_centre is not None and self._rng.random() >= p.requote_probability:
            self._calm = False  # a maker that does not requote this step does not refill either
            return []
        inventory = self._sizer.notional(view.position, fair) / p.max_inventory_notional
        self._inventory = inventory
        centre = fair + self._error - p.skew_ticks * max(-1.0, min(1.0, inventory))
        bids, asks = self._ladder(centre)
        if inventory >= 1.0:
            bids = []
        elif inventory <= -1.0:
            asks = []
        moving_up = self._last_centre is None or centre >= self._last_centre
        self._last_centre = centre
        retreat, advance = (Side.SELL, Side.BUY) if moving_up else (Side.BUY, Side.SELL)
        self._pending = (advance, bids if advance is Side.BUY else asks)
        actions = self._drop_stale_refills(view.orders, centre)
        wanted = _post_only(retreat, asks if retreat is Side.SELL else bids, view, centre, p.take_edge_ticks)
        actions.extend(self._reconcile(retreat, wanted, view.orders))
        return actions

    def decide(self, view: MarketView) -> Sequence[Action]:
        """Move the advancing side, now that every maker has withdrawn its stale quotes; refill a wide spread."""
        if self._pending is None:
            return []
        side, wanted = self._pending
        self._pending = None
        centre = self._last_centre
        assert centre is not None  # set with _pending
        actions = self._reconcile(
            side, _post_only(side, wanted, view, centre, self.params.take_edge_ticks), view.orders
        )
        if self._calm and self.params.refill_fraction > 0:
            actions.extend(self._refill(view, centre))
        return actions

    def _drop_stale_refills(self, orders: Mapping[str, OwnOrder], centre: float) -> list[Action]:
        """Cancel a refill the new centre has passed (or every refill when the book is not calm)."""
        actions: list[Action] = []
        for side, oid in list(self._refills.items()):
            order = orders[oid]
            on_its_side = order.price < centre if side is Side.BUY else order.price > centre
            if not (self._calm and on_its_side):
                actions.append(Cancel(oid))
                del self._refills[side]
        return actions

    def _refill(self, view: MarketView, centre: float) -> list[Action]:
        """Join one tick from the opposite best when the spread is wider and that price is on our side of centre."""
        bid, ask = view.best_bid, view.best_ask
        if bid is None or ask is None or ask - bid <= 1 or abs(self._inventory) > self.params.refill_max_inventory:
            return []
        if ask - 1 < centre:
            side, price = Side.BUY, ask - 1
        elif bid + 1 > centre:
            side, price = Side.SELL, bid + 1
        else:
            return []
        lots = self._sizer.lots(self.params.level_notional * self.params.refill_fraction, centre)
        oid = self._refills.get(side)
        if oid is not None:
            return [Amend(oid, price=price, lots=lots)]
        oid = self._ids.next()
        self._refills[side] = oid
        return [Submit(oid, side, OrderType.LIMIT, lots, price)]

    def _ladder(self, centre: float) -> tuple[list[Quote], list[Quote]]:
        p, lots = self.params, self._sizer.lots
        bid0 = math.floor(centre - p.half_spread_ticks)
        ask0 = max(math.ceil(centre + p.half_spread_ticks), bid0 + 1)
        g = p.level_spacing_ticks
        phase = self._grid_phase
        grid_bid = (bid0 - 1 - phase) // g * g + phase
        grid_ask = -(-(ask0 + 1 - phase) // g) * g + phase
        bid_prices = [bid0] + [grid_bid - g * j for j in range(p.levels - 1)]
        ask_prices = [ask0] + [grid_ask + g * j for j in range(p.levels - 1)]
        sizes = [lots(p.level_notional * (1.0 + p.depth_growth * j), centre) for j in range(p.levels)]
        bids = [(px, size) for px, size in zip(bid_prices, sizes, strict=True) if px > 0]
        return bids, list(zip(ask_prices, sizes, strict=True))

    def _reconcile(self, side: Side, wanted: list[Quote], orders: Mapping[str, OwnOrder]) -> list[Action]:
        """Fewest operations turning the live orders of ``side`` into ``wanted``: keep, move, add, cancel."""
        wanted_lots = dict(wanted)
        kept: set[int] = set()
        spare: list[OwnOrder] = []
        actions: list[Action] = []
        refill = self._refills.get(side)
        for order in orders.values():
            if order.side is not side or order.order_id == refill:
                continue
            want = wanted_lots.get(order.price)
            if want is None or order.price in kept:
                spare.append(order)
                continue
            kept.add(order.price)
            if order.leaves * 2 < want:  # mostly filled: top it up (it loses time priority)
                actions.append(Amend(order.order_id, lots=want))
        for price, want in wanted:
            if price in kept:
                continue
            if spare:
                actions.append(Amend(spare.pop().order_id, price=price, lots=want))
            else:
                actions.append(Submit(self._ids.next(), side, OrderType.LIMIT, want, price))
        actions.extend(Cancel(order.order_id) for order in spare)
        return actions
