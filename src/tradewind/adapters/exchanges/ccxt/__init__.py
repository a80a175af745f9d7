"""ccxt-backed exchange adapters: Bybit through its raw V5 rows, any other exchange through ccxt's unified API."""

from typing import Any

from tradewind.adapters.exchanges.ccxt.bybit_gateway import BybitV5Gateway
from tradewind.adapters.exchanges.ccxt.gateway import CcxtGateway
from tradewind.adapters.exchanges.ccxt.unified_gateway import UnifiedCcxtGateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.application.ports.clock import Clock


def open_gateway(
    name: str, settings: ExchangeSettings, credentials: Credentials | None, clock: Clock, *, client: Any = None
) -> CcxtGateway:
    """The gateway the entry asks for: Bybit's raw V5 rows, or ccxt's unified API for any other exchange."""
    kind = BybitV5Gateway if settings.uses_bybit_v5 else UnifiedCcxtGateway
    return kind(name, settings, credentials, clock, client=client)


__all__ = ["BybitV5Gateway", "CcxtGateway", "UnifiedCcxtGateway", "open_gateway"]
