"""Plain HTTP API (FastAPI), started with the embedded system.

The application and server load on first use, so reading ``HttpSettings`` with the configuration does not import
FastAPI (a ``twap`` verb answers without it).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tradewind.interfaces.http.settings import HttpSettings

if TYPE_CHECKING:
    from tradewind.interfaces.http.app import create_http_app
    from tradewind.interfaces.http.security import ApiAccess
    from tradewind.interfaces.http.server import HttpServer

__all__ = ["ApiAccess", "HttpServer", "HttpSettings", "create_http_app"]
_LAZY = {"create_http_app": "app", "HttpServer": "server", "ApiAccess": "security"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
