"""Private position and account endpoints, plus the account probes that ccxt and pybit make."""

from __future__ import annotations

from typing import Any

from tradewind.application.venue import VenueError
from tradewind.application.venue.settings import MarginMode
from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import fmt
from tradewind.interfaces.sim_exchange.bybit_v5.call import Call, page
from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode, params_error
from tradewind.interfaces.sim_exchange.bybit_v5.params import DAY_MS, time_range
from tradewind.interfaces.sim_exchange.bybit_v5.render import position_row, transaction_row, wallet_row

_ACCOUNT_CREATED = "2026-01-01T00:00:00Z"


def positions(call: Call) -> dict[str, Any]:
    p = call.params
    raw = p.text("category", required=True)
    if raw in ("inverse", "option"):
        return {"category": raw, "list": [], "nextPageCursor": ""}
    if raw == "spot":
        raise params_error("category spot has no positions; use linear")
    category = p.category(Category.LINEAR)
    symbol, settle, base = p.text("symbol"), p.text("settleCoin"), p.text("baseCoin")
    if not (symbol or settle or base):
        raise params_error("linear position/list needs symbol, baseCoin or settleCoin")
    views = call.venue.positions(call.account.api_key, symbol)
    views = [
        v
        for v in views
        if (not settle or call.venue.instrument(category, v.symbol).quote == settle)
        and (not base or call.venue.instrument(category, v.symbol).base == base)
    ]
    chunk, cursor = page(views, p, default_limit=20, max_limit=200)
    return {"category": category.value, "list": [position_row(v) for v in chunk], "nextPageCursor": cursor}


def set_leverage(call: Call) -> dict[str, Any]:
    p = call.params
    p.category(Category.LINEAR)
    buy, sell = p.decimal("buyLeverage", required=True), p.decimal("sellLeverage", required=True)
    assert buy is not None
    if buy != sell:
        raise params_error("buyLeverage must equal sellLeverage in one-way mode")
    call.venue.set_leverage(call.account.api_key, p.text("symbol", required=True), buy)
    return {}


def set_margin_mode(call: Call) -> dict[str, Any]:
    """``/v5/account/set-margin-mode``: the account's isolated or cross margin; a refusal lists its reasons."""
    raw = call.params.text("setMarginMode", required=True)
    if raw == "PORTFOLIO_MARGIN":
        raise _margin_mode_failed("PORTFOLIO_MARGIN is not simulated; use ISOLATED_MARGIN or REGULAR_MARGIN")
    try:
        mode = MarginMode(raw)
    except ValueError:
        raise params_error(
            f"setMarginMode must be ISOLATED_MARGIN, REGULAR_MARGIN or PORTFOLIO_MARGIN, got {raw!r}"
        ) from None
    try:
        call.venue.set_margin_mode(call.account.api_key, mode)
    except VenueError as exc:
        raise _margin_mode_failed(exc.message) from exc
    return {"reasons": []}


def _margin_mode_failed(why: str) -> BybitError:
    reason = {"reasonCode": str(int(RetCode.SET_MARGIN_MODE_FAILED)), "reasonMsg": why}
    return BybitError(RetCode.SET_MARGIN_MODE_FAILED, why, result={"reasons": [reason]})


def trading_stop(call: Call) -> dict[str, Any]:
    """Full mode: the position's one TP / SL / trailing stop; Partial: a TP / SL pair of ``tpSize`` added beside the
    others, each a conditional reduce-only order (``PartialTakeProfit`` / ``PartialStopLoss`` in ``order/realtime``)."""
    p = call.params
    p.category(Category.LINEAR)
    mode = p.text("tpslMode", default="Full")
    if mode not in ("Full", "Partial"):
        raise params_error(f"tpslMode must be Full or Partial, got {mode!r}")
    if p.integer("positionIdx", default=0, lo=0, hi=2):
        raise params_error("position idx not match position mode: only one-way mode (positionIdx 0) is served")
    for name in ("tpLimitPrice", "slLimitPrice"):
        if name in p:
            raise params_error(f"{name}: limit TP / SL are not supported by this simulator")
    symbol = p.text("symbol", required=True)
    if mode == "Partial":
        return _partial_stop(call, symbol)
    for name in ("tpSize", "slSize"):
        if name in p:
            raise params_error(f"{name} is for tpslMode Partial only")
    call.venue.set_trading_stop(
        call.account.api_key,
        symbol,
        take_profit=p.decimal("takeProfit"),
        stop_loss=p.decimal("stopLoss"),
        trailing_stop=p.decimal("trailingStop"),
        active_price=p.decimal("activePrice"),
    )
    return {}


def _partial_stop(call: Call, symbol: str) -> dict[str, Any]:
    p = call.params
    for name in ("trailingStop", "activePrice"):
        if name in p:
            raise params_error(f"{name} is for tpslMode Full only (a trailing stop guards the whole position)")
    tp_size, sl_size = p.decimal("tpSize"), p.decimal("slSize")
    if tp_size is None and sl_size is None:
        raise params_error("tpslMode Partial needs tpSize and slSize")
    if tp_size is not None and sl_size is not None and tp_size != sl_size:
        raise params_error(f"tpSize {tp_size} and slSize {sl_size} must be equal")
    size = tp_size if tp_size is not None else sl_size
    assert size is not None
    call.venue.add_partial_stop(
        call.account.api_key, symbol, take_profit=p.decimal("takeProfit"), stop_loss=p.decimal("stopLoss"), size=size
    )
    return {}


def wallet_balance(call: Call) -> dict[str, Any]:
    p = call.params
    account_type = p.text("accountType", required=True)
    if account_type != "UNIFIED":
        raise params_error(f"accountType only support UNIFIED, got {account_type!r}")
    wallet = call.venue.wallet_view(call.account.api_key)
    wanted = [c.strip() for c in p.text("coin").split(",") if c.strip()]
    if wanted:
        coins = [c for c in wallet.coins if c.coin in wanted]
    else:
        coins = [c for c in wallet.coins if c.balance or c.locked or c.position_im or c.order_im]
    return {"list": [wallet_row(wallet, coins)]}


def account_info(call: Call) -> dict[str, Any]:
    return {
        "unifiedMarginStatus": 6,
        "marginMode": call.account.margin_mode.value,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
        "updatedTime": str(call.now_ms),
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
    }


def query_api(call: Call) -> dict[str, Any]:
    account = call.account
    return {
        "id": str(account.uid),
        "note": "tradewind simulator",
        "apiKey": account.api_key,
        "readOnly": 0,
        "secret": "",
        "permissions": {
            "ContractTrade": ["Order", "Position"],
            "Spot": ["SpotTrade"],
            "Wallet": ["AccountTransfer"],
            "Options": [],
            "Derivatives": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": [],
            "NFT": [],
            "Affiliate": [],
        },
        "ips": ["*"],
        "type": 1,
        "deadlineDay": -1,
        "expiredAt": "",
        "createdAt": _ACCOUNT_CREATED,
        "unified": 0,
        "uta": 1,
        "userID": account.uid,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }


def coin_info(call: Call) -> dict[str, Any]:
    return {"rows": []}


def fee_rate(call: Call) -> dict[str, Any]:
    p = call.params
    category = p.category(Category.SPOT, Category.LINEAR)
    symbol, base = p.text("symbol"), p.text("baseCoin")
    rates = call.venue.settings.fees[category]
    items = [
        {
            "symbol": i.symbol,
            "baseCoin": i.base if category is Category.LINEAR else "",
            "takerFeeRate": fmt(rates.taker),
            "makerFeeRate": fmt(rates.maker),
        }
        for i in call.venue.instruments(category)
        if (not symbol or i.symbol == symbol) and (not base or i.base == base)
    ]
    return {"list": items}


def transaction_log(call: Call) -> dict[str, Any]:
    """The account's SETTLEMENT (funding) and LIQUIDATION rows, newest first (``/v5/account/transaction-log``), of
    Bybit's range: 24 hours without both times or from a lone one, at most 7 days between both."""
    p = call.params
    category, kind, coin = p.text("category"), p.text("type"), p.text("currency")
    base = p.text("baseCoin")
    start, end = time_range(p, call.now_ms, lone_ms=DAY_MS)
    rows = [
        t
        for t in reversed(call.account.transactions)
        if (not category or t.category.value == category)
        and (not kind or t.type.value == kind)
        and (not coin or t.coin == coin)
        and (not base or t.symbol.startswith(base))
        and start <= t.ts_ms <= end
    ]
    chunk, cursor = page(rows, p, default_limit=20, max_limit=50)
    return {"list": [transaction_row(t) for t in chunk], "nextPageCursor": cursor}
