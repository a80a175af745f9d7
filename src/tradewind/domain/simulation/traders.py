"""Liquidity takers of the swarm: noise (retail), institutional parent orders, momentum and mean-reversion traders.

Each trader owns a private ``random.Random`` and an id sequence, keeps its small state (EMAs,
order expiries) and turns a :class:`MarketView` into actions. Rates are per minute of simulated
time, so behaviour does not depend on the step interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from tradewind.domain.simulation.seeding import poisson
from tradewind.domain.simulation.view import Action, Cancel, LotSizer, MarketView, OrderIds, Submit
from tradewind.domain.values import OrderType, Side, TimeInForce

_NS_PER_S = 1_000_000_000


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


@dataclass(frozen=True, slots=True)
class NoiseParams:
    """Uninformed flow: random-side market orders and resting limit orders that expire."""

    market_orders_per_minute: float = 10.0
    limit_orders_per_minute: float = 2.0  # few and short-lived: one the price runs over is picked off mid-move
    median_notional: float = 2_000.0  # quote currency
    notional_dispersion: float = 1.1  # sigma of log(notional) when size_tail is 0
    size_tail: float = 1.7  # Pareto index of order sizes above the median (0: log-normal sizes instead)
    max_notional_multiple: float = 100.0  # no order beyond this many medians
    small_print_share: float = 0.3  # share of market orders that are retail prints of 20-500 quote
    limit_offset_ticks: float = 100.0  # mean distance behind the same-side touch
    limit_lifetime_s: float = 10.0  # mean life of a resting order before it is cancelled
    max_position_notional: float = 100_000.0  # the side is biased to keep the position within this

    def __post_init__(self) -> None:
        if self.market_orders_per_minute < 0 or self.limit_orders_per_minute < 0:
            raise ValueError("noise order rates must not be negative")
        _positive("median_notional", self.median_notional)
        _positive("limit_lifetime_s", self.limit_lifetime_s)
        _positive("max_position_notional", self.max_position_notional)
        if self.notional_dispersion < 0 or self.limit_offset_ticks < 0 or self.size_tail < 0:
            raise ValueError("notional_dispersion, size_tail and limit_offset_ticks must not be negative")
        if self.max_notional_multiple < 1 or not 0 <= self.small_print_share <= 1:
            raise ValueError("max_notional_multiple must be at least 1 and small_print_share within [0, 1]")


@dataclass(frozen=True, slots=True)
class MetaOrderParams:
    """Institutions that work large parent orders as many small child market orders over minutes.

    Parent sizes are Pareto (index ``parent_tail``, about 1.5 in real markets): split into children, they give
    trade signs a long memory (Lillo and Farmer 2004).
    """

    parents_per_hour: float = 60.0  # arrival rate of a new parent while the trader is idle
    min_parent_notional: float = 20_000.0
    parent_tail: float = 1.5
    max_parent_notional: float = 3_000_000.0
    child_notional: float = 1_500.0  # median child (Pareto sizes of index child_tail above it)
    child_tail: float = 1.7
    max_child_multiple: float = 50.0  # no child beyond this many median children
    children_per_minute: float = 30.0
    max_position_notional: float = 1_000_000.0  # parents are biased to bring the position back within this

    def __post_init__(self) -> None:
        if self.parents_per_hour < 0 or self.children_per_minute < 0:
            raise ValueError("meta-order rates must not be negative")
        _positive("min_parent_notional", self.min_parent_notional)
        _positive("child_notional", self.child_notional)
        _positive("max_position_notional", self.max_position_notional)
        if self.parent_tail <= 1.0 or self.child_tail <= 1.0:
            raise ValueError("parent_tail and child_tail must be above 1 (a finite mean)")
        if self.max_child_multiple < 1:
            raise ValueError("max_child_multiple must be at least 1")
        if self.max_parent_notional < self.min_parent_notional:
            raise ValueError("max_parent_notional must be at least min_parent_notional")


@dataclass(frozen=True, slots=True)
class MomentumParams:
    """Trend followers: long when a fast EMA of the mid is above a slow one, short when below."""

    fast_s: float = 20.0
    slow_s: float = 300.0
    entry_bp: float = 4.0
    exit_bp: float = 1.0
    trade_notional: float = 5_000.0
    max_position_notional: float = 50_000.0
    trades_per_minute: float = 6.0

    def __post_init__(self) -> None:
        _check_signal_params(self.fast_s, self.slow_s, self.entry_bp, self.exit_bp)
        _check_trading_params(self.trade_notional, self.max_position_notional, self.trades_per_minute)


@dataclass(frozen=True, slots=True)
class MeanReversionParams:
    """Contrarians: sell when the mid is far above its EMA, buy when far below, with a capped slippage."""

    window_s: float = 600.0
    entry_bp: float = 12.0
    exit_bp: float = 3.0
    trade_notional: float = 5_000.0
    max_position_notional: float = 50_000.0
    trades_per_minute: float = 6.0
    slippage_ticks: int = 10

    def __post_init__(self) -> None:
        _check_signal_params(1.0, self.window_s, self.entry_bp, self.exit_bp)
        _check_trading_params(self.trade_notional, self.max_position_notional, self.trades_per_minute)
        if self.slippage_ticks < 0:
            raise ValueError(f"slippage_ticks must not be negative, got {self.slippage_ticks}")


def _check_signal_params(fast_s: float, slow_s: float, entry_bp: float, exit_bp: float) -> None:
    _positive("EMA time constant", fast_s)
    _positive("EMA time constant", slow_s)
    if not 0 <= exit_bp <= entry_bp:
        raise ValueError(f"need 0 <= exit_bp <= entry_bp, got exit {exit_bp}, entry {entry_bp}")


def _check_trading_params(trade_notional: float, max_position_notional: float, rate: float) -> None:
    _positive("trade_notional", trade_notional)
    _positive("max_position_notional", max_position_notional)
    if rate < 0:
        raise ValueError(f"trades_per_minute must not be negative, got {rate}")


class Ema:
    """Exponential moving average in continuous time (irregular steps weigh by elapsed time)."""

    __slots__ = ("_tau_ns", "value")

    def __init__(self, time_constant_s: float) -> None:
        self._tau_ns = time_constant_s * _NS_PER_S
        self.value: float | None = None

    def update(self, x: float, dt_ns: int) -> float:
        if self.value is None:
            self.value = x
        else:
            self.value += (x - self.value) * (1.0 - math.exp(-dt_ns / self._tau_ns))
        return self.value


class _Clocked:
    """Elapsed simulated time between two decisions (zero on the first one)."""

    __slots__ = ("_last_ns",)

    def __init__(self) -> None:
        self._last_ns: int | None = None

    def elapsed_ns(self, now_ns: int) -> int:
        dt = 0 if self._last_ns is None else max(0, now_ns - self._last_ns)
        self._last_ns = now_ns
        return dt


class NoiseTrader:
    """Random market and limit orders of log-normal size; limit orders are cancelled when they expire."""

    def __init__(self, name: str, params: NoiseParams, sizer: LotSizer, rng: random.Random) -> None:
        self._name, self.params, self._sizer, self._rng = name, params, sizer, rng
        self._ids = OrderIds(name)
        self._clock = _Clocked()
        self._expiry: dict[str, int] = {}

    @property
    def name(self) -> str:
        return self._name

    def _notional(self) -> float:
        p = self.params
        if p.size_tail <= 0:
            return p.median_notional * math.exp(self._rng.gauss(0.0, p.notional_dispersion))
        return pareto_notional(self._rng, p.median_notional, p.size_tail, p.median_notional * p.max_notional_multiple)

    def _market_notional(self) -> float:
        if self._rng.random() < self.params.small_print_share:
            return float(20.0 * 25.0 ** self._rng.random())  # log-uniform 20..500: a retail print
        return self._notional()

    def decide(self, view: MarketView) -> Sequence[Action]:
        p, rng = self.params, self._rng
        minutes = self._clock.elapsed_ns(view.now_ns) / (60 * _NS_PER_S)
        actions: list[Action] = []
        expiry = self._expiry
        for order_id in [oid for oid in expiry if oid not in view.orders]:
            del expiry[order_id]  # filled or cancelled meanwhile
        for order_id in view.orders:
            if expiry.get(order_id, view.now_ns) <= view.now_ns:
                actions.append(Cancel(order_id))
        ref = view.mid if view.mid is not None else view.fair_value
        # Buy less often the longer the trader is, so that positions (and the makers' inventories) stay bounded.
        load = self._sizer.notional(view.position, ref) / p.max_position_notional
        p_buy = 0.5 * (1.0 - max(-1.0, min(1.0, load)))
        for _ in range(poisson(rng, p.market_orders_per_minute * minutes)):
            side = Side.BUY if rng.random() < p_buy else Side.SELL
            lots = self._sizer.lots(self._market_notional(), ref)
            actions.append(Submit(self._ids.next(), side, OrderType.MARKET, lots))
        for _ in range(poisson(rng, p.limit_orders_per_minute * minutes)):
            side = Side.BUY if rng.random() < p_buy else Side.SELL
            offset = math.floor(rng.expovariate(1.0 / p.limit_offset_ticks)) if p.limit_offset_ticks > 0 else 0
            if side is Side.BUY:
                price = (view.best_bid if view.best_bid is not None else math.floor(ref) - 1) - offset
            else:
                price = (view.best_ask if view.best_ask is not None else math.ceil(ref) + 1) + offset
            if price <= 0:
                continue
            order_id = self._ids.next()
            actions.append(Submit(order_id, side, OrderType.LIMIT, self._sizer.lots(self._notional(), price), price))
            life_ns = rng.expovariate(1.0 / p.limit_lifetime_s) * _NS_PER_S
            expiry[order_id] = view.now_ns + max(1, round(life_ns))
        return actions


def pareto_notional(rng: random.Random, median: float, tail: float, cap: float) -> float:
    """A Pareto draw of index ``tail`` with this median (half the draws below it), capped at ``cap``."""
    return float(min(cap, median * (2.0 * (1.0 - rng.random())) ** (-1.0 / tail)))


class MetaOrderTrader:
    """Works one parent order at a time as child market orders at a Poisson rate; idle traders start new parents."""

    def __init__(self, name: str, params: MetaOrderParams, sizer: LotSizer, rng: random.Random) -> None:
        self._name, self.params, self._sizer, self._rng = name, params, sizer, rng
        self._ids = OrderIds(name)
        self._clock = _Clocked()
        self._side = Side.BUY
        self._remaining = 0.0  # quote notional of the parent still to trade

    @property
    def name(self) -> str:
        return self._name

    @property
    def working(self) -> tuple[Side, float] | None:
        """The parent's side and remaining notional, or None when idle."""
        return (self._side, self._remaining) if self._remaining > 0 else None

    def decide(self, view: MarketView) -> Sequence[Action]:
        p, rng = self.params, self._rng
        minutes = self._clock.elapsed_ns(view.now_ns) / (60 * _NS_PER_S)
        ref = view.mid if view.mid is not None else view.fair_value
        if self._remaining <= 0:
            if rng.random() >= p.parents_per_hour * minutes / 60.0:
                return []
            load = self._sizer.notional(view.position, ref) / p.max_position_notional
            self._side = Side.BUY if rng.random() < 0.5 * (1.0 - max(-1.0, min(1.0, load))) else Side.SELL
            self._remaining = min(
                p.max_parent_notional,
                p.min_parent_notional * (1.0 - rng.random()) ** (-1.0 / p.parent_tail),
            )
        actions: list[Action] = []
        for _ in range(poisson(rng, p.children_per_minute * minutes)):
            cap = min(self._remaining, p.child_notional * p.max_child_multiple)
            notional = pareto_notional(rng, p.child_notional, p.child_tail, cap)
            lots = self._sizer.lots(notional, ref)
            actions.append(Submit(self._ids.next(), self._side, OrderType.MARKET, lots))
            self._remaining -= self._sizer.notional(lots, ref)
            if self._remaining <= 0:
                break
        return actions


def _trade_toward(
    view: MarketView, target_lots: int, step_lots: int, ids: OrderIds, slippage_ticks: int | None
) -> list[Action]:
    """One order moving the position toward ``target_lots``: market, or IOC limit with capped slippage."""
    gap = target_lots - view.position
    if gap == 0:
        return []
    side = Side.BUY if gap > 0 else Side.SELL
    lots = min(abs(gap), step_lots)
    if slippage_ticks is None:
        return [Submit(ids.next(), side, OrderType.MARKET, lots)]
    touch = view.best_ask if side is Side.BUY else view.best_bid
    if touch is None:
        return []
    price = touch + slippage_ticks if side is Side.BUY else touch - slippage_ticks
    if price <= 0:
        return []
    return [Submit(ids.next(), side, OrderType.LIMIT, lots, price, TimeInForce.IOC)]


class MomentumTrader:
    """Follows the trend of the mid with market orders, up to a position limit."""

    def __init__(self, name: str, params: MomentumParams, sizer: LotSizer, rng: random.Random) -> None:
        self._name, self.params, self._sizer, self._rng = name, params, sizer, rng
        self._ids = OrderIds(name)
        self._clock = _Clocked()
        self._fast, self._slow = Ema(params.fast_s), Ema(params.slow_s)
        self._direction = 0

    @property
    def name(self) -> str:
        return self._name

    def decide(self, view: MarketView) -> Sequence[Action]:
        p = self.params
        dt_ns = self._clock.elapsed_ns(view.now_ns)
        mid = view.mid
        if mid is None:
            return []
        fast, slow = self._fast.update(mid, dt_ns), self._slow.update(mid, dt_ns)
        signal_bp = (fast - slow) / slow * 1e4
        if signal_bp > p.entry_bp:
            self._direction = 1
        elif signal_bp < -p.entry_bp:
            self._direction = -1
        elif abs(signal_bp) < p.exit_bp:
            self._direction = 0
        if self._rng.random() >= p.trades_per_minute * dt_ns / (60 * _NS_PER_S):
            return []
        target = self._direction * self._sizer.lots(p.max_position_notional, mid)
        return _trade_toward(view, target, self._sizer.lots(p.trade_notional, mid), self._ids, None)


class MeanReversionTrader:
    """Fades deviations of the mid from its moving average with IOC limit orders."""

    def __init__(self, name: str, params: MeanReversionParams, sizer: LotSizer, rng: random.Random) -> None:
        self._name, self.params, self._sizer, self._rng = name, params, sizer, rng
        self._ids = OrderIds(name)
        self._clock = _Clocked()
        self._mean = Ema(params.window_s)
        self._direction = 0

    @property
    def name(self) -> str:
        return self._name

    def decide(self, view: MarketView) -> Sequence[Action]:
        p = self.params
        dt_ns = self._clock.elapsed_ns(view.now_ns)
        mid = view.mid
        if mid is None:
            return []
        mean = self._mean.update(mid, dt_ns)
        deviation_bp = (mid - mean) / mean * 1e4
        if deviation_bp > p.entry_bp:
            self._direction = -1
        elif deviation_bp < -p.entry_bp:
            self._direction = 1
        elif abs(deviation_bp) < p.exit_bp:
            self._direction = 0
        if self._rng.random() >= p.trades_per_minute * dt_ns / (60 * _NS_PER_S):
            return []
        target = self._direction * self._sizer.lots(p.max_position_notional, mid)
        return _trade_toward(view, target, self._sizer.lots(p.trade_notional, mid), self._ids, p.slippage_ticks)
