"""Exact money arithmetic: a Decimal context that raises instead of rounding, and the few roundings we allow."""

from __future__ import annotations

from decimal import ROUND_UP, Context, Decimal, DivisionByZero, Inexact, InvalidOperation

ZERO = Decimal(0)
MARGIN_QUANTUM = Decimal("0.00000001")  # margin is a reservation, not a transfer: rounding it is allowed


def exact_context() -> Context:
    """A context wide enough for any balance here; an inexact result raises instead of rounding."""
    return Context(prec=60, traps=[Inexact, InvalidOperation, DivisionByZero])


def initial_margin(notional: Decimal, leverage: Decimal) -> Decimal:
    """Initial margin ``notional / leverage``, rounded up to 1e-8 so a reservation never falls short."""
    if leverage <= 0:
        raise ValueError(f"leverage must be positive, got {leverage}")
    return (abs(notional) / leverage).quantize(MARGIN_QUANTUM, rounding=ROUND_UP)


def fmt(value: Decimal) -> str:
    """Plain positional notation without exponent or trailing zeros (``1E-9`` -> ``0.000000001``)."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")
