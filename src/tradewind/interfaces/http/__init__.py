"""Plain HTTP API (FastAPI), started with the embedded system."""

from tradewind.interfaces.http.app import HttpSettings, create_http_app
from tradewind.interfaces.http.server import HttpServer

__all__ = ["HttpServer", "HttpSettings", "create_http_app"]
