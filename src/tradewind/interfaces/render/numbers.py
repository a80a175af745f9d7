"""Decimals as text at their instrument's grid: a price at the tick size, a size at the lot step."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

_WIDE = Context(prec=80)  # quantizing a 30-digit value to 18 places must not overflow the default 28 digits
BPS = Decimal("0.01")  # slippage in basis points, to a hundredth


def at_step(value: Decimal, step: Decimal | None) -> str:
    """``value`` with as many decimals as ``step`` has (rounded half-even), never in exponent form.

    Without a step (a job stored before its tick size was kept), the exact value with trailing zeros dropped.
    """
    if step is None:
        return format(value.normalize(_WIDE), "f")
    places = min(int(step.normalize(_WIDE).as_tuple().exponent), 0)
    return format(value.quantize(Decimal(1).scaleb(places), rounding=ROUND_HALF_EVEN, context=_WIDE), "f")


def maybe_at_step(value: Decimal | None, step: Decimal | None) -> str | None:
    """:func:`at_step`, passing ``None`` (no fill yet, no limit) through."""
    return None if value is None else at_step(value, step)
