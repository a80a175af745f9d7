"""JSON-compatible codecs for TWAP specs (bus payloads and stored rows); Decimals travel as strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpec, TwapSpecError
from tradewind.domain.values import Category, Side


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def spec_to_payload(spec: TwapSpec) -> dict[str, Any]:
    return {
        "exchange": spec.exchange,
        "category": spec.category.value,
        "symbol": spec.symbol,
        "side": spec.side.value,
        "runtime_s": spec.runtime_s,
        "slices": spec.slices,
        "quantity": _dec(spec.quantity),
        "notional": _dec(spec.notional),
        "limit_price": _dec(spec.limit_price),
        "limit_policy": spec.limit_policy.value,
        "catch_up": spec.catch_up.value,
        "order_style": spec.order_style.value,
        "max_slippage_bps": str(spec.max_slippage_bps),
        "size_jitter": str(spec.size_jitter),
        "time_jitter": str(spec.time_jitter),
        "seed": spec.seed,
        "allow_insufficient": spec.allow_insufficient,
    }


def _opt(raw: Any, what: str) -> Decimal | None:
    return None if raw is None else _decimal(raw, what)


def _decimal(raw: Any, what: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        raise TwapSpecError(f"{what} must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise TwapSpecError(f"{what} must be a finite number, got {raw!r}")
    return value


def _flag(raw: Any, what: str) -> bool:
    if not isinstance(raw, bool):
        raise TwapSpecError(f"{what} must be true or false, got {raw!r}")
    return raw


_FIELDS = frozenset(
    (
        "exchange",
        "category",
        "symbol",
        "side",
        "runtime_s",
        "slices",
        "quantity",
        "notional",
        "limit_price",
        "limit_policy",
        "catch_up",
        "order_style",
        "max_slippage_bps",
        "size_jitter",
        "time_jitter",
        "seed",
        "allow_insufficient",
    )
)


def spec_from_payload(payload: dict[str, Any]) -> TwapSpec:
    """Parse a spec; a missing, unknown or malformed field raises TwapSpecError naming it."""
    unknown = sorted(set(payload) - _FIELDS)
    if unknown:  # a misspelt "qty" must not silently become a job without a size
        raise TwapSpecError(f"unknown field(s) {unknown}; known fields: {sorted(_FIELDS)}")
    try:
        return TwapSpec(
            exchange=str(payload["exchange"]),
            category=Category(payload.get("category", "spot")),
            symbol=str(payload["symbol"]).upper(),
            side=Side(str(payload["side"]).capitalize()),
            runtime_s=int(payload["runtime_s"]),
            slices=int(payload["slices"]),
            quantity=_opt(payload.get("quantity"), "quantity"),
            notional=_opt(payload.get("notional"), "notional"),
            limit_price=_opt(payload.get("limit_price"), "limit_price"),
            limit_policy=LimitPolicy(payload.get("limit_policy", "stop")),
            catch_up=CatchUpPolicy(payload.get("catch_up", "catch_up")),
            order_style=OrderStyle(payload.get("order_style", "market")),
            max_slippage_bps=_decimal(payload.get("max_slippage_bps", "50"), "max_slippage_bps"),
            size_jitter=_decimal(payload.get("size_jitter", "0"), "size_jitter"),
            time_jitter=_decimal(payload.get("time_jitter", "0"), "time_jitter"),
            seed=int(payload.get("seed", 0)),
            allow_insufficient=_flag(payload.get("allow_insufficient", False), "allow_insufficient"),
        )
    except KeyError as exc:
        raise TwapSpecError(f"missing field {exc.args[0]!r}") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, TwapSpecError):
            raise
        raise TwapSpecError(f"bad TWAP job field: {exc}") from None
