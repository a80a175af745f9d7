"""The order stream's pure parts: Bybit's private ``order`` / ``execution`` rows as OrderUpdateEvents (exact, a bad
row skipped, not fatal), the ``auth`` request, the private URL per environment, and exchanges that cannot push."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.logs import captured_logs
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import BybitV5Gateway, UnifiedCcxtGateway
from tradewind.adapters.exchanges.ccxt.bybit_private_ws import auth_request, events_of, private_ws_url
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.ports.exchange import OrderStreamRefused, OrderStreamUnsupported
from tradewind.domain.orders import ExecutionFill, OrderResult, OrderState
from tradewind.domain.values import Category, Side
from tradewind.interfaces.sim_exchange.bybit_v5.ws_private import auth_signature

D = Decimal
CREDENTIALS = Credentials(SecretStr("key-1"), SecretStr("secret-1"))

ORDER_ROW: dict[str, Any] = {
    "category": "linear", "symbol": "BTCUSDT", "orderId": "o-1", "orderLinkId": "c-1", "side": "Sell",
    "orderType": "Limit", "price": "60123.4", "qty": "0.125", "orderStatus": "PartiallyFilled", "avgPrice": "60123.4",
    "cumExecQty": "0.025", "cumExecValue": "1503.085", "cumExecFee": "0.8268", "feeCurrency": "USDT",
    "rejectReason": "EC_NoError", "closedPnl": "0",
}  # fmt: skip
EXEC_ROW: dict[str, Any] = {
    "category": "spot", "symbol": "BTCUSDT", "orderId": "o-2", "orderLinkId": "c-2", "side": "Buy", "execId": "e-1",
    "execPrice": "59995.3", "execQty": "0.012345", "execFee": "0.000012345", "feeCurrency": "BTC", "isMaker": True,
    "execTime": "1767225600123", "execType": "Trade",
}  # fmt: skip


def message(topic: str, *rows: Any) -> dict[str, Any]:
    return {"id": "m-1", "topic": topic, "creationTime": 1767225600200, "data": list(rows)}


def test_an_order_row_is_a_state_with_exact_decimals_and_its_category() -> None:
    (event,) = events_of(message("order", ORDER_ROW), "bybit")
    assert event.category is Category.LINEAR and isinstance(event.update, OrderResult)
    r = event.update
    assert (r.client_order_id, r.exchange_order_id, r.side) == ("c-1", "o-1", Side.SELL)
    assert r.state is OrderState.PARTIALLY_FILLED
    assert (r.qty, r.price, r.filled_qty) == (D("0.125"), D("60123.4"), D("0.025"))
    assert (r.avg_price, r.fee) == (D("60123.4"), D("0.8268"))
    assert r.fee_currency == "USDT"  # the topic's feeCurrency, as no cumFeeDetail came with the row


def test_an_execution_row_is_a_fill() -> None:
    (event,) = events_of(message("execution", EXEC_ROW), "bybit")
    assert event.category is Category.SPOT
    assert event.update == ExecutionFill(
        "e-1", "c-2", D("59995.3"), D("0.012345"), D("0.000012345"), "BTC", True, 1767225600123 * 1_000_000,
        "BTCUSDT", Side.BUY, "o-2",
    )  # fmt: skip


def test_a_broken_row_is_logged_and_skipped_and_the_rest_of_the_message_is_kept() -> None:
    bad_price = {**EXEC_ROW, "execId": "e-2", "execPrice": "sixty thousand"}
    no_price = {key: value for key, value in EXEC_ROW.items() if key != "execPrice"}
    bad_side = {**EXEC_ROW, "execId": "e-3", "side": "Up"}
    funding = {**EXEC_ROW, "execId": "e-4", "execType": "Funding"}
    inverse = {**EXEC_ROW, "execId": "e-5", "category": "inverse"}
    good = {**EXEC_ROW, "execId": "e-6"}
    rows = (bad_price, no_price, "not a row", bad_side, funding, inverse, good)
    with captured_logs() as logs:
        events = events_of(message("execution", *rows), "x")
    assert [e.update.trade_id for e in events if isinstance(e.update, ExecutionFill)] == ["e-6"]
    assert [entry["event"] for entry in logs if entry["log_level"] == "warning"] == ["bybit_private_ws.row_skipped"] * 4
    assert events_of({"topic": "order", "data": {"not": "a list"}}, "x") == []
    assert events_of({"op": "pong", "args": ["1"]}, "x") == []
    assert events_of(message("wallet", {"coin": []}), "x") == []


def test_auth_request_signs_get_realtime_and_expires_as_bybit_documents() -> None:
    request = auth_request("key-1", "secret-1", 1767225610000)
    assert request == {"op": "auth", "args": ["key-1", 1767225610000, auth_signature("secret-1", 1767225610000)]}
    assert len(request["args"][2]) == 64 and request["args"][2] == request["args"][2].lower()  # hex SHA-256


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ("testnet", "wss://stream-testnet.bybit.com/v5/private"),
        ("demo", "wss://stream-demo.bybit.com/v5/private"),
        ("mainnet", "wss://stream.bybit.com/v5/private"),
    ],
)
def test_private_url_per_environment(env: str, url: str) -> None:
    assert private_ws_url(ExchangeSettings.model_validate({"type": "bybit", "env": env})) == url


def test_sim_server_private_url() -> None:
    entry = ExchangeSettings(type="bybit", env="sim-server", url="http://127.0.0.1:8080/")
    assert private_ws_url(entry) == "ws://127.0.0.1:8080/v5/private"


async def test_a_bybit_gateway_without_keys_has_its_stream_refused() -> None:
    gateway = BybitV5Gateway("bybit", ExchangeSettings(type="bybit", env="mainnet"), None, WallClock())
    try:
        with pytest.raises(OrderStreamRefused, match="needs API credentials"):
            await anext(gateway.order_updates())
    finally:
        await gateway.close()


CANNOT_PUSH = [("luno", "neither watchOrders nor watchMyTrades"), ("bitflyer", "no ccxt.pro")]


@pytest.mark.parametrize(("exchange", "why"), CANNOT_PUSH)
async def test_an_exchange_that_cannot_push_names_itself(exchange: str, why: str) -> None:
    gateway = UnifiedCcxtGateway(exchange, ExchangeSettings(type=exchange, env="mainnet"), CREDENTIALS, WallClock())
    try:
        with pytest.raises(OrderStreamUnsupported, match=f"{exchange}.*{why}|{why}.*{exchange}"):
            await anext(gateway.order_updates())
    finally:
        await gateway.close()


async def test_publishing_gateway_logs_an_unsupported_stream_once_and_goes_on_polling() -> None:
    inner = UnifiedCcxtGateway("luno", ExchangeSettings(type="luno", env="mainnet"), CREDENTIALS, WallClock())
    bus = InMemoryBus()
    gateway = PublishingGateway(inner, bus, WallClock(), reconnect_min_s=0.001)
    with captured_logs() as logs:
        await gateway.start()
        task = gateway._stream_task
        assert task is not None
        await task  # it ends by itself: nothing to reconnect to
        assert not gateway.streaming
        await gateway.close()
    unsupported = [e for e in logs if e["event"] == "gateway.order_stream_unsupported"]
    assert len(unsupported) == 1 and "luno" in unsupported[0]["reason"]
    assert [e for e in logs if e["event"].startswith("gateway.order_stream") and e not in unsupported] == []
