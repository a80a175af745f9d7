"""What each venue can and cannot do, as types rather than a dict of flags."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from tradewind.adapters.exchanges.settings import ExchangeSettings
from tradewind.domain.values import Category


@dataclass(frozen=True, slots=True)
class ExchangeCapabilities:
    """Venue facts the gateway and the book stream rely on."""

    bybit_v5: bool  # speak Bybit's V5 rows through ccxt's raw endpoints: exact decimal strings, orderLinkId
    lookup_by_client_id: bool  # fetch_order finds an order by its client id (else open and recent orders are scanned)
    client_ids_unique: bool  # a client id is refused for ever once used, not only while its order is open
    book_u_contiguous: bool  # every book delta's ``u`` is the previous ``u`` + 1, so a missing one shows
    book_depths: tuple[int, ...]  # WebSocket book depths the venue serves; () = any the client asks for
    categories: tuple[Category, ...]  # product categories the adapter loads
    pushes_orders: bool = True  # a private stream of our orders and fills exists (else the gateway is polled only)
    # How the unified gateway asks for the next page of trades: the venue's cursor (Bybit's ``nextPageCursor``, which
    # ccxt leaves in one row's ``info``), a trade id (Binance's ``fromId``), or the last page's time.
    trade_paging: Literal["cursor", "from_id", "time"] = "time"
    trades_per_page: int = 100  # the most trades one call may ask for (Bybit 100, Binance 1000)
    # How the unified gateway reads open orders, order history and positions: page by page through the venue's cursor
    # (Bybit), or as the one answer the venue gives (Binance's openOrders and positions are whole lists).
    list_paging: Literal["cursor", "whole"] = "whole"
    # The widest time window one trades call answers (Bybit: 7 days from ``since``): a read from an older ``since`` is
    # cut into windows up to now. None: the venue answers any span.
    trade_window_ms: int | None = None
    # The same for the closed orders one call lists (Bybit's /v5/order/history: 7 days from ``since``, the last 7 days
    # without it): a look-up from an older ``since`` reads them window by window up to now.
    order_window_ms: int | None = None


BYBIT = ExchangeCapabilities(
    bybit_v5=True, lookup_by_client_id=True, client_ids_unique=True, book_u_contiguous=True,
    book_depths=(1, 50, 200, 1000), categories=(Category.SPOT, Category.LINEAR),
)  # fmt: skip
# Our simulator's ``u`` is the engine's book sequence: it only moves forward, with holes between pushes.
BYBIT_SIM_SERVER = replace(BYBIT, book_u_contiguous=False)
# Exchanges whose ccxt ``fetch_order(None, symbol, {"clientOrderId": ...})`` asks the venue by client id (read in
# ccxt's source; binance is also run against our sim-exchange). Binance accepts a client id again once its order
# is closed, so for these the gateway looks an id up before the first send too.
WEEK_MS = 7 * 24 * 3_600_000  # Bybit's /v5/execution/list and /v5/order/history: endTime - startTime <= 7 days
_CLIENT_ID_FETCH = frozenset({"binance", "okx", "kraken"})
_TRADE_PAGING: dict[str, dict[str, Any]] = {
    "bybit": {
        "trade_paging": "cursor",
        "trades_per_page": 100,
        "list_paging": "cursor",
        "trade_window_ms": WEEK_MS,
        "order_window_ms": WEEK_MS,
    },
    "binance": {"trade_paging": "from_id", "trades_per_page": 1000},
}


def capabilities_for(settings: ExchangeSettings) -> ExchangeCapabilities:
    """The facts of the entry's venue; ``categories`` from the entry when it names them."""
    if settings.uses_bybit_v5:
        caps = BYBIT_SIM_SERVER if settings.env == "sim-server" else BYBIT
    else:
        caps = ExchangeCapabilities(
            bybit_v5=False, lookup_by_client_id=settings.type in _CLIENT_ID_FETCH, client_ids_unique=False,
            book_u_contiguous=False, book_depths=(),
            categories=(Category.SPOT, Category.LINEAR) if settings.type == "bybit" else (Category.SPOT,),
            **_TRADE_PAGING.get(settings.type, {}),
        )  # fmt: skip
    if settings.type == "binance" and settings.env == "sim-server":
        caps = replace(caps, pushes_orders=False)  # the sim-exchange's Binance face has no user-data stream
    if settings.book_u_contiguous is not None:
        caps = replace(caps, book_u_contiguous=settings.book_u_contiguous)
    if settings.categories is not None:
        caps = replace(caps, categories=tuple(Category(c) for c in settings.categories))
    return caps
