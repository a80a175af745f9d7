"""ccxt-based exchange adapter: Bybit first-class (V5 rows, orderLinkId), any other ccxt exchange by id."""

from tradewind.adapters.exchanges.ccxt.gateway import CcxtGateway

__all__ = ["CcxtGateway"]
