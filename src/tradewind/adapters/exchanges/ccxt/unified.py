"""ccxt's unified structures (markets, orders, trades, balances, positions) as typed domain values.

The client keeps numbers as the exchange's decimal strings (``client.number = str``), so every value here is exact.
ccxt counts derivatives in contracts; a market's ``contract_size`` turns them into base quantity, as the domain counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE

from tradewind.domain.candles import Candle
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import InstrumentRef
from tradewind.domain.orders import Balance, ExecutionFill, OrderResult, OrderState, PositionSnapshot, Ticker
from tradewind.domain.spread.orders import FundingPayment
from tradewind.domain.values import Category, Side

Row = Mapping[str, Any]
_NO_MAX = Decimal("1e12")
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


@dataclass(frozen=True, slots=True)
class Market:
    """A loaded instrument with the ccxt symbol that names it and its contract size (1 for spot)."""

    instrument: Instrument
    ccxt_symbol: str
    contract_size: Decimal

    def contracts(self, qty: Decimal) -> Decimal:
        """Base quantity as the venue's amount (contracts for derivatives)."""
        return qty / self.contract_size

    def base(self, amount: Decimal) -> Decimal:
        return amount * self.contract_size


class UnsupportedMarket(ValueError):
    """A market the domain cannot trade exactly (significant-digit precision, an expiry, inverse)."""


def exact(value: Any, *, allow_float: bool = False) -> Decimal | None:
    """A ccxt number as a Decimal; a float is refused (the client should keep strings) unless ``allow_float``,
    which reads it back as its shortest decimal (ccxt.pro's market metadata: tick sizes such as 0.1)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        if not allow_float:
            raise TypeError(f"ccxt returned the float {value!r}: the client must keep numbers as strings")
        return Decimal(repr(value))
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _zero(value: Any) -> Decimal:
    return exact(value) or Decimal(0)


def category_of(market: Row) -> Category | None:
    """Spot and linear perpetuals; anything else (futures with expiry, inverse, options) is not traded here."""
    if market.get("spot"):
        return Category.SPOT
    if market.get("swap") and market.get("linear"):
        return Category.LINEAR
    return None


def _step(precision: Any, mode: int, what: str, symbol: str, allow_float: bool) -> Decimal:
    value = exact(precision, allow_float=allow_float)
    if value is None:
        raise UnsupportedMarket(f"{symbol}: no {what} precision")
    if mode == TICK_SIZE:
        return value
    if mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(value))
    raise UnsupportedMarket(f"{symbol}: {what} precision in significant digits has no fixed grid")


def market(row: Row, precision_mode: int, *, allow_float: bool = False) -> Market:
    """A ccxt market as a Market; raises UnsupportedMarket naming why it cannot be traded."""
    symbol = str(row["id"])
    category = category_of(row)
    if category is None:
        raise UnsupportedMarket(f"{symbol}: only spot and linear perpetual markets are traded")

    def num(value: Any) -> Decimal | None:
        return exact(value, allow_float=allow_float)

    contract_size = (num(row.get("contractSize")) or Decimal(1)) if category is Category.LINEAR else Decimal(1)
    precision, limits = row.get("precision") or {}, row.get("limits") or {}
    amount, cost = limits.get("amount") or {}, limits.get("cost") or {}
    step = _step(precision.get("amount"), precision_mode, "amount", symbol, allow_float) * contract_size
    inst = Instrument(
        symbol=symbol, category=category, base=str(row["base"]), quote=str(row["quote"]),
        tick_size=_step(precision.get("price"), precision_mode, "price", symbol, allow_float), qty_step=step,
        min_qty=(num(amount.get("min")) or Decimal(0)) * contract_size,
        max_qty=(num(amount.get("max")) or _NO_MAX / contract_size) * contract_size,
        min_notional=num(cost.get("min")) or Decimal(0),
    )  # fmt: skip
    return Market(inst, str(row["symbol"]), contract_size)


def state(order: Row) -> OrderState:
    """ccxt's status (open, closed, canceled, expired, rejected) as an OrderState."""
    status, filled = order.get("status"), _zero(order.get("filled"))
    if status == "closed":
        return OrderState.FILLED
    if status in ("canceled", "cancelled", "expired"):
        return OrderState.CANCELLED
    if status == "rejected":
        return OrderState.REJECTED
    return OrderState.PARTIALLY_FILLED if filled > 0 else OrderState.NEW


def _fee(fees: Iterable[Row | None]) -> tuple[Decimal, str]:
    """Total fee and its currency; fees in several currencies keep the first's (the domain holds one)."""
    total, currency = Decimal(0), ""
    for fee in fees:
        if not fee or fee.get("cost") is None:
            continue
        fee_currency = str(fee.get("currency") or "")
        if not currency:
            currency = fee_currency
        if fee_currency == currency:
            total += _zero(fee.get("cost"))
    return total, currency


def order_result(order: Row, mkt: Market) -> OrderResult:
    filled = mkt.base(_zero(order.get("filled")))
    average = exact(order.get("average"))
    cost = exact(order.get("cost"))
    if average is None and cost and filled:
        average = cost / filled
    fee, fee_currency = _fee(order.get("fees") or [order.get("fee")])
    order_state = state(order)
    amount = exact(order.get("amount"))
    return OrderResult(
        client_order_id=str(order.get("clientOrderId") or ""),
        exchange_order_id=str(order.get("id") or ""),
        state=order_state,
        filled_qty=filled,
        avg_price=average if filled else None,
        fee=fee,
        fee_currency=fee_currency,
        reject_reason=str(order.get("status")) if order_state is OrderState.REJECTED else None,
        symbol=mkt.instrument.symbol,
        side=_SIDES.get(str(order.get("side"))),
        qty=None if amount is None else mkt.base(amount),
        price=exact(order.get("price")) or None,
    )


def fill(trade: Row, mkt: Market, client_order_id: str) -> ExecutionFill:
    fee, fee_currency = _fee(trade.get("fees") or [trade.get("fee")])
    price, amount = exact(trade.get("price")), exact(trade.get("amount"))
    if price is None or amount is None:
        raise ValueError(f"{mkt.instrument.symbol}: trade {trade.get('id')} without price or amount")
    return ExecutionFill(
        trade_id=str(trade["id"]), client_order_id=client_order_id, price=price, qty=mkt.base(amount), fee=fee,
        fee_currency=fee_currency, is_maker=trade.get("takerOrMaker") == "maker",
        ts_ns=int(trade.get("timestamp") or 0) * 1_000_000, symbol=mkt.instrument.symbol,
        side=_SIDES.get(str(trade.get("side"))), order_id=str(trade.get("order") or ""),
    )  # fmt: skip


def funding(exchange: str, row: Row, mkt: Market, received_sign: int) -> FundingPayment:
    """One ccxt funding-history row; ``received_sign`` turns the exchange's ``amount`` into received-positive."""
    amount = exact(row.get("amount"))
    if amount is None:
        raise ValueError(f"{mkt.instrument.symbol}: funding {row.get('id')} without an amount")
    return FundingPayment(
        str(row["id"]), exchange, mkt.instrument.category, mkt.instrument.symbol, received_sign * amount,
        int(row.get("timestamp") or 0) * 1_000_000,
    )  # fmt: skip


def ticker(row: Row, mkt: Market, now_ms: int) -> Ticker:
    ts_ms = int(row.get("timestamp") or now_ms)
    return Ticker(
        mkt.instrument.symbol, exact(row.get("bid")), exact(row.get("ask")), exact(row.get("last")), ts_ms * 1_000_000
    )


def balances(balance: Row) -> dict[str, Balance]:
    """ccxt's ``total`` / ``free`` / ``used`` by coin; a missing part is derived from the other two."""
    totals, free, used = balance.get("total") or {}, balance.get("free") or {}, balance.get("used") or {}
    out: dict[str, Balance] = {}
    for coin in sorted(set(totals) | set(free) | set(used)):
        t, f, u = exact(totals.get(coin)), exact(free.get(coin)), exact(used.get(coin))
        if t is None:
            t = (f or Decimal(0)) + (u or Decimal(0))
        if u is None:
            u = t - f if f is not None else Decimal(0)
        out[coin] = Balance(coin, t, t - u if f is None else f, u)
    return out


def position(row: Row, mkt: Market) -> PositionSnapshot | None:
    """A non-empty position, its size signed by side; None for a flat one."""
    size = mkt.base(_zero(row.get("contracts")))
    if size == 0:
        return None
    signed = -size if row.get("side") == "short" else size
    return PositionSnapshot(
        mkt.instrument.symbol, mkt.instrument.category, signed, exact(row.get("entryPrice")),
        _zero(row.get("unrealizedPnl")), exact(row.get("markPrice")),
    )  # fmt: skip


def candle(ref: InstrumentRef, interval: int, row: Any, contract_size: Decimal = Decimal(1)) -> Candle:
    """One ``fetch_ohlcv`` row ``[ms, open, high, low, close, volume]``; volume in base units (contracts converted).

    The unified row has neither turnover nor a trade count: both are 0.
    """
    if not isinstance(row, list | tuple) or len(row) < 6 or any(x is None for x in row[:6]):
        raise ValueError(f"ohlcv row must be [ms, open, high, low, close, volume], got {row!r}")
    o, h, low, c, volume = (Decimal(str(x)) for x in row[1:6])
    return Candle(ref, interval, int(row[0]), o, h, low, c, volume * contract_size, Decimal(0), 0)
