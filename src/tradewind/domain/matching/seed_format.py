"""The seed system's message format on top of the engine: signed-quantity orders in, trade and mid dicts out.

Order:  {"order_id", "order_type": "limit" | "market", "price", "quantity" (> 0 buys, < 0 sells), "time"}
Trade:  {"left_order_id" (incoming), "right_order_id" (resting), "quantity", "price", "action", "status"}
Price:  {"mid_price"}
Prices and quantities are Decimal strings or ints; floats are refused so no binary rounding slips in.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.matching.events import OrderStatus, Report
from tradewind.domain.values import OrderType, Side

_NS_PER_SECOND = 1_000_000_000


class SeedMessageError(ValueError):
    """A seed order message is malformed; the message names the field."""


class SeedOrderRejected(ValueError):
    """The engine refused a well-formed seed order; ``report`` carries the reason."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"order {report.order_id!r} rejected: {report.reason.value if report.reason else '?'}")
        self.report = report


def _decimal(message: Mapping[str, object], name: str) -> Decimal:
    value = message.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise SeedMessageError(f"{name} must be a decimal string or an int, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise SeedMessageError(f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise SeedMessageError(f"{name} must be finite, got {value!r}")
    return number


class SeedFormatAdapter:
    """Feeds seed-format order messages to a MatchingEngine and answers in the seed's trade/price format."""

    def __init__(self, engine: MatchingEngine) -> None:
        self.engine = engine

    def submit(self, message: Mapping[str, object]) -> Report:
        """Parse one order message and submit it; return the engine's report.

        Raises SeedMessageError for a malformed message, FilterError for a price or quantity off the
        instrument's grid, SeedOrderRejected when the engine refuses the order. None of them changes the book.
        """
        order_id = message.get("order_id")
        if not isinstance(order_id, str) or not order_id:
            raise SeedMessageError(f"order_id must be a non-empty string, got {order_id!r}")
        raw_type = message.get("order_type")
        if raw_type not in ("limit", "market"):
            raise SeedMessageError(f"order_type must be 'limit' or 'market', got {raw_type!r}")
        order_type = OrderType.LIMIT if raw_type == "limit" else OrderType.MARKET
        signed = _decimal(message, "quantity")
        if signed == 0:
            raise SeedMessageError("quantity must not be zero (positive buys, negative sells)")
        side = Side.BUY if signed > 0 else Side.SELL
        instrument = self.engine.instrument
        lots = instrument.qty_to_lots(abs(signed))
        ticks = None
        if message.get("price") is not None:
            ticks = instrument.price_to_ticks(_decimal(message, "price"))
        ts = 0
        if message.get("time") is not None:
            ts = int(_decimal(message, "time") * _NS_PER_SECOND)
        report = self.engine.submit(order_id, side, order_type, lots, ticks, ts=ts)
        if report.status is OrderStatus.REJECTED:
            raise SeedOrderRejected(report)
        return report

    def handle(self, message: Mapping[str, object]) -> list[dict[str, str]]:
        """Process one order; return its trades in match order, then the mid price if both sides have orders.

        "left" is the incoming order, "right" the resting one; a trade's status is the incoming order's
        after that trade. Raises as ``submit`` does.
        """
        report = self.submit(message)
        instrument = self.engine.instrument
        out: list[dict[str, str]] = []
        total = sum(fill.qty for fill in report.fills)
        complete = report.status is OrderStatus.FILLED
        done = 0
        for fill in report.fills:
            done += fill.qty
            status = OrderStatus.FILLED if complete and done == total else OrderStatus.PARTIALLY_FILLED
            out.append(
                {
                    "left_order_id": report.order_id,
                    "right_order_id": fill.maker_order_id,
                    "quantity": str(instrument.lots_to_qty(fill.qty)),
                    "price": str(instrument.ticks_to_price(fill.price)),
                    "action": fill.taker_side.value,
                    "status": status.value,
                }
            )
        mid = self.engine.mid()
        if mid is not None:
            out.append({"mid_price": str(mid)})
        return out
