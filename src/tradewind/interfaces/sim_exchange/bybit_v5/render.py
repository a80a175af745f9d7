"""Venue records as Bybit V5 JSON objects (numbers as strings); the private WebSocket reuses these rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.application.venue import (
    CancelCause,
    CoinView,
    Execution,
    MarketUnit,
    NoFillReason,
    Order,
    PositionView,
    VenueOrderStatus,
    WalletView,
)
from tradewind.application.venue.model import Transaction
from tradewind.application.venue.tape import Kline, PublicTrade
from tradewind.domain.values import OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts import ZERO, StopKind, fmt

# The venue's terms in Bybit's words (also what requests are parsed against).
SIDE = {Side.BUY: "Buy", Side.SELL: "Sell"}
TIME_IN_FORCE = {
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.POST_ONLY: "PostOnly",
}
ORDER_STATUS = {
    VenueOrderStatus.NEW: "New",
    VenueOrderStatus.PARTIALLY_FILLED: "PartiallyFilled",
    VenueOrderStatus.FILLED: "Filled",
    VenueOrderStatus.CANCELLED: "Cancelled",
    VenueOrderStatus.PARTIALLY_FILLED_CANCELED: "PartiallyFilledCanceled",
    VenueOrderStatus.REJECTED: "Rejected",
    VenueOrderStatus.UNTRIGGERED: "Untriggered",
    VenueOrderStatus.TRIGGERED: "Triggered",
    VenueOrderStatus.DEACTIVATED: "Deactivated",
}
MARKET_UNIT = {MarketUnit.BASE: "baseCoin", MarketUnit.QUOTE: "quoteCoin"}
_ORDER_TYPE = {OrderType.LIMIT: "Limit", OrderType.MARKET: "Market"}
_CANCEL_TYPE = {CancelCause.NONE: "UNKNOWN", CancelCause.USER: "CancelByUser"}
_REJECT_REASON = {
    NoFillReason.NONE: "EC_NoError",
    NoFillReason.POST_ONLY_WOULD_TAKE: "EC_PostOnlyWillTakeLiquidity",
    NoFillReason.NO_IMMEDIATE_FILL: "EC_NoImmediateQtyToFill",
}
_STOP_ORDER_TYPE = {
    StopKind.TAKE_PROFIT: "TakeProfit",
    StopKind.STOP_LOSS: "StopLoss",
    StopKind.TRAILING_STOP: "TrailingStop",
    StopKind.PARTIAL_TAKE_PROFIT: "PartialTakeProfit",
    StopKind.PARTIAL_STOP_LOSS: "PartialStopLoss",
}


def opt(value: Decimal | None) -> str:
    """An optional price: Bybit shows an unset TP / SL as an empty string."""
    return "" if value is None else fmt(value)


def order_type(value: OrderType) -> str:
    return _ORDER_TYPE[value]


def side(value: Side | None) -> str:
    return SIDE[value] if value is not None else ""


def market_unit(value: MarketUnit | None) -> str:
    return MARKET_UNIT[value] if value is not None else ""


def stop_order_type(value: StopKind | None) -> str:
    return _STOP_ORDER_TYPE[value] if value is not None else ""


def order_row(o: Order) -> dict[str, Any]:
    """One item of ``order/realtime`` and ``order/history`` (the ``order`` topic adds category fields)."""
    fee = {o.fee_coin: fmt(o.cum_exec_fee)} if o.fee_coin else {}
    return {
        "orderId": o.order_id,
        "orderLinkId": o.order_link_id,
        "blockTradeId": "",
        "symbol": o.symbol,
        "price": fmt(o.price),
        "qty": fmt(o.qty),
        "side": side(o.side),
        "isLeverage": "0" if o.category.value == "spot" else "",
        "positionIdx": 0,
        "orderStatus": ORDER_STATUS[o.status],
        "cancelType": _CANCEL_TYPE[o.cancel_cause],
        "rejectReason": _REJECT_REASON[o.reject_reason],
        "avgPrice": fmt(o.avg_price) if o.cum_exec_qty else ("" if o.category.value == "spot" else "0"),
        "leavesQty": fmt(o.leaves_qty),
        "leavesValue": fmt(o.leaves_value),
        "cumExecQty": fmt(o.cum_exec_qty),
        "cumExecValue": fmt(o.cum_exec_value),
        "cumExecFee": fmt(o.cum_exec_fee),
        "cumFeeDetail": fee,
        "timeInForce": "IOC" if o.order_type is OrderType.MARKET else TIME_IN_FORCE[o.tif],
        "orderType": order_type(o.order_type),
        "stopOrderType": stop_order_type(o.stop_kind),
        "orderIv": "",
        "triggerPrice": fmt(o.trigger_price) if o.trigger_price is not None else "0",
        "takeProfit": opt(o.take_profit),
        "stopLoss": opt(o.stop_loss),
        "tpTriggerBy": "LastPrice" if o.take_profit is not None else "",
        "slTriggerBy": "LastPrice" if o.stop_loss is not None else "",
        "triggerDirection": _trigger_direction(o),
        "triggerBy": "",
        "lastPriceOnCreated": "",
        "reduceOnly": o.reduce_only,
        "closeOnTrigger": o.close_on_trigger,
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "tpslMode": _tpsl_mode(o),
        "tpLimitPrice": "",
        "slLimitPrice": "",
        "placeType": "",
        "marketUnit": market_unit(o.market_unit),
        "createdTime": str(o.created_ms),
        "updatedTime": str(o.updated_ms),
    }


def _tpsl_mode(o: Order) -> str:
    if o.tpsl_partial or (o.stop_kind is not None and o.stop_kind.is_partial):
        return "Partial"
    return "Full" if o.take_profit is not None or o.stop_loss is not None else ""


def _trigger_direction(o: Order) -> int:
    """1: fires when the price rises to the trigger, 2: when it falls (a long's partial TP rises, its SL falls)."""
    if o.trigger_price is None or o.stop_kind is None:
        return 0
    rises = (o.stop_kind is StopKind.PARTIAL_TAKE_PROFIT) == (o.side is Side.SELL)
    return 1 if rises else 2


def execution_row(e: Execution) -> dict[str, Any]:
    """One item of ``execution/list`` (the ``execution`` topic adds category fields)."""
    return {
        "symbol": e.symbol,
        "orderId": e.order_id,
        "orderLinkId": e.order_link_id,
        "side": side(e.side),
        "orderPrice": fmt(e.order_price),
        "orderQty": fmt(e.order_qty),
        "leavesQty": fmt(e.leaves_qty),
        "createType": "CreateByClosing" if e.stop_kind is not None else "CreateByUser",
        "orderType": order_type(e.order_type),
        "stopOrderType": stop_order_type(e.stop_kind),
        "execFee": fmt(e.fee),
        "execFeeV2": "",
        "feeCurrency": e.fee_coin,
        "execId": e.exec_id,
        "execPrice": fmt(e.exec_price),
        "execQty": fmt(e.exec_qty),
        "execType": e.exec_type.value,
        "execValue": fmt(e.exec_value),
        "execTime": str(e.exec_time_ms),
        "isMaker": e.is_maker,
        "feeRate": fmt(e.fee_rate),
        "tradeIv": "",
        "markIv": "",
        "markPrice": fmt(e.exec_price),
        "indexPrice": "",
        "underlyingPrice": "",
        "blockTradeId": "",
        "closedSize": fmt(e.closed_size),
        "execPnl": fmt(e.exec_pnl),
        "seq": e.seq,
        "extraFees": "",
    }


def position_row(p: PositionView) -> dict[str, Any]:
    """One item of ``position/list`` (the ``position`` topic adds ``category`` and ``entryPrice``)."""
    size = p.size
    return {
        "positionIdx": 0,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": p.symbol,
        "side": side(p.side),
        "size": fmt(size),
        "avgPrice": fmt(p.avg_price),
        "positionValue": fmt(p.entry_value),
        "tradeMode": 0,
        "autoAddMargin": 0,
        "positionStatus": "Normal",
        "leverage": fmt(p.leverage),
        "markPrice": fmt(p.mark_price),
        "liqPrice": opt(p.liq_price),  # "" under cross margin: the account's equity, not a price, decides
        "bustPrice": opt(p.bust_price),
        "positionIM": fmt(p.position_im),
        "positionIMByMp": fmt(p.position_im),
        "positionMM": fmt(p.position_mm),
        "positionMMByMp": fmt(p.position_mm),
        "positionBalance": fmt(p.position_im),
        "takeProfit": opt(p.take_profit) or "0",
        "stopLoss": opt(p.stop_loss) or "0",
        "trailingStop": opt(p.trailing_stop) or "0",
        "sessionAvgPrice": "",
        "delta": "",
        "gamma": "",
        "vega": "",
        "theta": "",
        "unrealisedPnl": fmt(p.unrealised_pnl),
        "curRealisedPnl": fmt(p.cur_realised_pnl),
        "cumRealisedPnl": fmt(p.cum_realised_pnl),
        "adlRankIndicator": 2 if size else 0,
        "createdTime": str(p.created_ms),
        "updatedTime": str(p.updated_ms),
        "seq": p.seq,
        "isReduceOnly": False,
        "mmrSysUpdatedTime": "",
        "leverageSysUpdatedTime": "",
        "tpslMode": "Full",
        "breakEvenPrice": "",
    }


def coin_row(c: CoinView) -> dict[str, Any]:
    return {
        "coin": c.coin,
        "equity": fmt(c.equity),
        "usdValue": fmt(c.usd_value),
        "walletBalance": fmt(c.balance),
        "free": "",
        "locked": fmt(c.locked),
        "spotHedgingQty": "0",
        "borrowAmount": "0",
        "availableToWithdraw": "",
        "availableToBorrow": "",
        "accruedInterest": "0",
        "totalOrderIM": fmt(c.order_im),
        "totalPositionIM": fmt(c.position_im),
        "totalPositionMM": fmt(c.position_mm),
        "unrealisedPnl": fmt(c.unrealised_pnl),
        "cumRealisedPnl": fmt(c.cum_realised_pnl),
        "bonus": "0",
        "marginCollateral": True,
        "collateralSwitch": True,
        "spotBorrow": "0",
    }


def wallet_row(w: WalletView, coins: list[CoinView]) -> dict[str, Any]:
    """The UNIFIED account object of ``account/wallet-balance`` (and the ``wallet`` topic)."""
    im = sum((c.order_im + c.position_im for c in w.coins), ZERO)
    upnl = sum((c.unrealised_pnl for c in w.coins), ZERO)
    equity = sum((c.usd_value for c in w.coins), ZERO)  # usd_value already includes unrealised PnL
    wallet_usd = equity - upnl
    available = sum((c.available for c in w.coins if c.coin == "USDT"), ZERO)
    mm = sum((c.position_mm for c in w.coins), ZERO)  # only USDT settles positions: no price to apply
    return {
        "accountType": "UNIFIED",
        "accountIMRate": fmt((im / equity).quantize(Decimal("0.0001"))) if equity > 0 else "0",
        "accountMMRate": fmt((mm / equity).quantize(Decimal("0.0001"))) if equity > 0 else "0",
        "accountLTV": "0",
        "totalEquity": fmt(equity.quantize(Decimal("0.00000001"))),
        "totalWalletBalance": fmt(wallet_usd.quantize(Decimal("0.00000001"))),
        "totalMarginBalance": fmt(equity.quantize(Decimal("0.00000001"))),
        "totalAvailableBalance": fmt(available),
        "totalPerpUPL": fmt(upnl),
        "totalInitialMargin": fmt(im),
        "totalMaintenanceMargin": fmt(mm),
        "coin": [coin_row(c) for c in coins],
    }


def kline_row(k: Kline) -> list[str]:
    return [str(k.start_ms), fmt(k.open), fmt(k.high), fmt(k.low), fmt(k.close), fmt(k.volume), fmt(k.turnover)]


def trade_row(symbol: str, t: PublicTrade) -> dict[str, Any]:
    return {
        "execId": t.exec_id,
        "symbol": symbol,
        "price": fmt(t.price),
        "size": fmt(t.qty),
        "side": side(t.side),
        "time": str(t.ts_ms),
        "isBlockTrade": False,
        "isRPITrade": False,
        "seq": str(t.seq),
    }


def transaction_row(t: Transaction) -> dict[str, Any]:
    """One item of ``account/transaction-log``: ``funding`` positive when received; ``size`` signed (short < 0)."""
    signed = t.size if t.side is not Side.SELL else -t.size
    return {
        "id": t.transaction_id,
        "symbol": t.symbol,
        "category": t.category.value,
        "side": side(t.side) if t.side is not None else "None",
        "transactionTime": str(t.ts_ms),
        "type": t.type.value,
        "transSubType": "",
        "qty": fmt(t.size),
        "size": fmt(signed),
        "currency": t.coin,
        "tradePrice": fmt(t.price),
        "funding": fmt(t.funding),
        "fee": "0",
        "cashFlow": fmt(t.cash_flow),
        "change": fmt(t.change),
        "cashBalance": fmt(t.cash_balance),
        "feeRate": fmt(t.fee_rate),
        "bonusChange": "",
        "tradeId": "",
        "orderId": "",
        "orderLinkId": "",
        "extraFees": "",
    }
