"""What each venue can and cannot do, as types rather than a dict of flags."""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.adapters.exchanges.settings import ExchangeSettings


@dataclass(frozen=True, slots=True)
class ExchangeCapabilities:
    """Venue facts the gateway and the book stream rely on."""

    bybit_v5: bool  # speak Bybit's V5 rows through ccxt's raw endpoints: exact decimal strings, orderLinkId
    lookup_by_client_id: bool  # an order can be fetched by its client id (the basis of no-duplicate resends)
    book_u_contiguous: bool  # every book delta's ``u`` is the previous ``u`` + 1, so a missing one shows
    book_depths: tuple[int, ...]  # WebSocket book depths the venue serves
    categories: tuple[str, ...]  # product categories the adapter loads


BYBIT = ExchangeCapabilities(
    bybit_v5=True, lookup_by_client_id=True, book_u_contiguous=True, book_depths=(1, 50, 200, 1000),
    categories=("spot", "linear"),
)  # fmt: skip
# Our simulator's ``u`` is the engine's book sequence: it only moves forward, with holes between pushes.
BYBIT_SIM_SERVER = ExchangeCapabilities(
    bybit_v5=True, lookup_by_client_id=True, book_u_contiguous=False, book_depths=(1, 50, 200, 1000),
    categories=("spot", "linear"),
)  # fmt: skip
GENERIC_CCXT = ExchangeCapabilities(
    bybit_v5=False, lookup_by_client_id=False, book_u_contiguous=False, book_depths=(), categories=("spot",)
)


def capabilities_for(settings: ExchangeSettings) -> ExchangeCapabilities:
    if settings.type == "bybit":
        return BYBIT_SIM_SERVER if settings.env == "sim-server" else BYBIT
    return GENERIC_CCXT
