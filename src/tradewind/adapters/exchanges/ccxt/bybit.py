"""Bybit V5 through ccxt's raw endpoints: exact decimal strings in, typed domain results out.

ccxt's unified layer turns Bybit's strings into floats; the raw ``private_*_v5_*`` methods keep them,
and still give ccxt's signing and retCode-to-exception mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradewind.domain.candles import Candle
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import InstrumentRef
from tradewind.domain.orders import (
    Balance,
    ExecutionFill,
    OrderIntent,
    OrderResult,
    OrderState,
    PositionSnapshot,
    Ticker,
)
from tradewind.domain.spread.orders import FundingPayment
from tradewind.domain.values import Category, OrderType, Side

Row = Mapping[str, Any]

_STATES = {
    "Created": OrderState.NEW,
    "New": OrderState.NEW,
    "Untriggered": OrderState.NEW,
    "PartiallyFilled": OrderState.PARTIALLY_FILLED,
    "Filled": OrderState.FILLED,
    "Cancelled": OrderState.CANCELLED,
    "PartiallyFilledCanceled": OrderState.CANCELLED,
    "Deactivated": OrderState.CANCELLED,
    "Rejected": OrderState.REJECTED,
}


def dec(row: Row, key: str) -> Decimal | None:
    """The field as a Decimal; None when absent or empty."""
    raw = row.get(key)
    if raw is None or raw == "":
        return None
    return Decimal(str(raw))


def _dec0(row: Row, key: str) -> Decimal:
    value = dec(row, key)
    return Decimal(0) if value is None else value


def instrument(category: Category, row: Row) -> Instrument:
    """One ``instruments-info`` row as an Instrument (spot and linear spell their lot filters differently)."""
    lot, price = row["lotSizeFilter"], row["priceFilter"]
    step = dec(lot, "qtyStep") or dec(lot, "basePrecision")
    notional = dec(lot, "minNotionalValue") or dec(lot, "minOrderAmt") or Decimal(0)
    assert step is not None, f"{row.get('symbol')}: no qtyStep or basePrecision"
    return Instrument(
        symbol=str(row["symbol"]), category=category, base=str(row["baseCoin"]), quote=str(row["quoteCoin"]),
        tick_size=Decimal(str(price["tickSize"])), qty_step=step, min_qty=_dec0(lot, "minOrderQty"),
        max_qty=dec(lot, "maxOrderQty") or Decimal("1e12"), min_notional=notional,
    )  # fmt: skip


def create_request(intent: OrderIntent) -> dict[str, Any]:
    """The ``/v5/order/create`` body of a rounded, checked intent."""
    body: dict[str, Any] = {
        "category": intent.category.value,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "orderType": "Market" if intent.order_type is OrderType.MARKET else "Limit",
        "qty": format(intent.qty, "f"),
        "orderLinkId": intent.client_order_id,
    }
    if intent.order_type is OrderType.LIMIT:
        assert intent.price is not None
        body["price"] = format(intent.price, "f")
        body["timeInForce"] = intent.tif.value
    elif intent.category is Category.SPOT:
        body["marketUnit"] = "baseCoin"  # our quantities are always base; Bybit's spot market buy default is quote
    if intent.reduce_only:
        body["reduceOnly"] = True
    return body


def order_result(row: Row) -> OrderResult:
    state = _STATES.get(str(row.get("orderStatus")), OrderState.NEW)
    filled = _dec0(row, "cumExecQty")
    reason = str(row.get("rejectReason", "")) or None
    return OrderResult(
        client_order_id=str(row.get("orderLinkId", "")),
        exchange_order_id=str(row.get("orderId", "")),
        state=state,
        filled_qty=filled,
        avg_price=dec(row, "avgPrice") if filled else None,
        fee=_dec0(row, "cumExecFee"),
        # REST rows name the fee coin in ``cumFeeDetail``; ``order`` topic rows may carry ``feeCurrency`` instead.
        fee_currency=next(iter(row.get("cumFeeDetail") or {}), "") or str(row.get("feeCurrency") or ""),
        reject_reason=reason if state is OrderState.REJECTED else None,
        symbol=str(row.get("symbol", "")),
        side=Side(row["side"]) if row.get("side") in ("Buy", "Sell") else None,
        qty=dec(row, "qty"),
        price=dec(row, "price") or None,
    )


def fill(row: Row) -> ExecutionFill:
    return ExecutionFill(
        trade_id=str(row["execId"]), client_order_id=str(row.get("orderLinkId", "")),
        price=Decimal(str(row["execPrice"])), qty=Decimal(str(row["execQty"])), fee=_dec0(row, "execFee"),
        fee_currency=str(row.get("feeCurrency", "")), is_maker=bool(row.get("isMaker")),
        ts_ns=int(row["execTime"]) * 1_000_000, symbol=str(row.get("symbol", "")), side=Side(row["side"]),
        order_id=str(row.get("orderId", "")),
    )  # fmt: skip


def funding(exchange: str, row: Row) -> FundingPayment:
    """One SETTLEMENT row of ``/v5/account/transaction-log``: ``funding`` is positive when received."""
    return FundingPayment(
        str(row["id"]), exchange, Category(str(row.get("category") or "linear")), str(row["symbol"]),
        Decimal(str(row["funding"])), int(row["transactionTime"]) * 1_000_000,
    )  # fmt: skip


def ticker(row: Row, ts_ms: int) -> Ticker:
    bid, ask, last = dec(row, "bid1Price"), dec(row, "ask1Price"), dec(row, "lastPrice")
    return Ticker(str(row["symbol"]), bid, ask, last, ts_ms * 1_000_000)


def balances(account: Row) -> dict[str, Balance]:
    out = {}
    for c in account.get("coin", []):
        total = _dec0(c, "walletBalance")
        locked = _dec0(c, "locked") + _dec0(c, "totalOrderIM") + _dec0(c, "totalPositionIM")
        out[str(c["coin"])] = Balance(str(c["coin"]), total, total - locked, locked)
    return out


def position(row: Row) -> PositionSnapshot:
    size = _dec0(row, "size")
    signed = -size if row.get("side") == "Sell" else size
    return PositionSnapshot(
        str(row["symbol"]), Category.LINEAR, signed, dec(row, "avgPrice") or None,
        _dec0(row, "unrealisedPnl"), dec(row, "markPrice"),
    )  # fmt: skip


def candle(ref: InstrumentRef, interval: int, row: Any) -> Candle:
    """One ``/v5/market/kline`` row ``[start, open, high, low, close, volume, turnover]`` (Bybit counts no trades)."""
    if not isinstance(row, list | tuple) or len(row) < 7:
        raise ValueError(f"kline row has {len(row)} fields, expected 7: {row!r}")
    o, h, low, c, volume, turnover = (Decimal(str(x)) for x in row[1:7])
    return Candle(ref, interval, int(row[0]), o, h, low, c, volume, turnover, 0)


def result_list(response: Row) -> list[Row]:
    """``result.list`` of a V5 answer (ccxt has already raised on a non-zero retCode)."""
    return list(response.get("result", {}).get("list", []))
