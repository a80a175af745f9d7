"""The simulated exchange's protocol faces (``bybit_v5``, ``binance_spot``) on one aiohttp application.

Shared by both faces: the application and its server (``app``), the settings, the WebSocket session,
the feed pumps (``feeds``), the tape cursor and the book diffs.
"""

from tradewind.interfaces.sim_exchange.app import create_sim_exchange_app, serve_until_cancelled, start_server
from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings

__all__ = ["SimExchangeSettings", "create_sim_exchange_app", "serve_until_cancelled", "start_server"]
