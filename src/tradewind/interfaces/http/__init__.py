"""Plain HTTP API (FastAPI), started with the embedded system.

The application and server load on first use, so reading ``HttpSettings`` with the configuration does not import
FastAPI (a ``twap`` verb answers without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.interfaces.http.app import create_http_app as create_http_app
    from tradewind.interfaces.http.security import ApiAccess as ApiAccess
    from tradewind.interfaces.http.server import HttpServer as HttpServer
    from tradewind.interfaces.http.settings import HttpSettings as HttpSettings

_LAZY = LazyNames(
    __name__,
    {"app": ("create_http_app",), "security": ("ApiAccess",), "server": ("HttpServer",), "settings": ("HttpSettings",)},
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
