"""Instruments and their trading filters, with exact Decimal <-> integer tick/lot conversion."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from tradewind.domain.values import Category


class FilterError(ValueError):
    """An order quantity or price breaks one of the instrument's filters; the message names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable product: prices live on a tick grid, quantities on a lot grid."""

    symbol: str
    category: Category
    base: str
    quote: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal

    def __post_init__(self) -> None:
        for name in ("tick_size", "qty_step"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or value <= 0:
                raise ValueError(f"{self.symbol}: {name} must be a positive Decimal, got {value!r}")
        if self.min_qty < 0 or self.max_qty < self.min_qty:
            raise ValueError(f"{self.symbol}: need 0 <= min_qty <= max_qty")

    @property
    def key(self) -> str:
        """Unique name across categories, e.g. ``linear:BTCUSDT``."""
        return f"{self.category.value}:{self.symbol}"

    # Exact conversions: raise when a value is off the grid instead of silently rounding.
    def price_to_ticks(self, price: Decimal) -> int:
        ticks, rest = divmod(price, self.tick_size)
        if rest != 0:
            raise FilterError(
                "tick_size", f"{self.symbol}: price {price} is not a multiple of tick size {self.tick_size}"
            )
        return int(ticks)

    def qty_to_lots(self, qty: Decimal) -> int:
        lots, rest = divmod(qty, self.qty_step)
        if rest != 0:
            raise FilterError(
                "qty_step", f"{self.symbol}: quantity {qty} is not a multiple of quantity step {self.qty_step}"
            )
        return int(lots)

    def ticks_to_price(self, ticks: int) -> Decimal:
        return self.tick_size * ticks

    def lots_to_qty(self, lots: int) -> Decimal:
        return self.qty_step * lots

    def round_price(self, price: Decimal) -> Decimal:
        """Nearest price on the tick grid (banker's rounding at the half tick)."""
        return (price / self.tick_size).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * self.tick_size

    def floor_qty(self, qty: Decimal) -> Decimal:
        """Largest quantity on the lot grid not above ``qty``."""
        return (qty / self.qty_step).quantize(Decimal(1), rounding=ROUND_DOWN) * self.qty_step

    def check_order(self, qty: Decimal, price: Decimal | None) -> None:
        """Raise FilterError naming the first rule an order of ``qty`` at ``price`` breaks."""
        if qty <= 0:
            raise FilterError("positive_qty", f"{self.symbol}: quantity must be positive, got {qty}")
        self.qty_to_lots(qty)
        if price is not None:
            if price <= 0:
                raise FilterError("positive_price", f"{self.symbol}: price must be positive, got {price}")
            self.price_to_ticks(price)
        if qty < self.min_qty:
            raise FilterError("min_qty", f"{self.symbol}: quantity {qty} is below the minimum {self.min_qty}")
        if qty > self.max_qty:
            raise FilterError("max_qty", f"{self.symbol}: quantity {qty} is above the maximum {self.max_qty}")
        if price is not None and qty * price < self.min_notional:
            raise FilterError(
                "min_notional",
                f"{self.symbol}: notional {qty * price} is below the minimum {self.min_notional} {self.quote}",
            )


def default_instruments() -> tuple[Instrument, ...]:
    """The simulator's default products: BTC and ETH, spot and linear perpetual."""
    spec = [
        ("BTCUSDT", Category.SPOT, "BTC", "0.1", "0.000001", "0.000011", "83", "5"),
        ("BTCUSDT", Category.LINEAR, "BTC", "0.1", "0.001", "0.001", "1190", "5"),
        ("ETHUSDT", Category.SPOT, "ETH", "0.01", "0.00001", "0.0001", "1500", "5"),
        ("ETHUSDT", Category.LINEAR, "ETH", "0.01", "0.01", "0.01", "7240", "5"),
    ]
    return tuple(
        Instrument(sym, cat, base, "USDT", Decimal(tick), Decimal(step), Decimal(mn), Decimal(mx), Decimal(notional))
        for sym, cat, base, tick, step, mn, mx, notional in spec
    )
