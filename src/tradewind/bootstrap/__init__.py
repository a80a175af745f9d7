"""The composition root: the only place that constructs adapters and services and wires them.

One module per workflow (``simulator``, ``storage``, ``marketdata``, ``twap``, ``gateway``) returns that workflow's
components for a ``Platform`` (the process's clock, bus and database); ``embedded`` runs their union in one process,
``registry`` names the distributed services and ``distributed`` builds one of them. Each name loads its module on
first use, so a ``twap`` verb does not import the HTTP server, the simulator or Parquet.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradewind.bootstrap.common import build_clock
    from tradewind.bootstrap.distributed import build_distributed
    from tradewind.bootstrap.embedded import EmbeddedSystem, SimExchangeSystem, build_embedded, build_sim_exchange
    from tradewind.bootstrap.registry import SERVICES, ServiceUnavailable, available_services
    from tradewind.bootstrap.twap import TwapApp, build_twap

__all__ = [
    "SERVICES",
    "EmbeddedSystem",
    "ServiceUnavailable",
    "SimExchangeSystem",
    "TwapApp",
    "available_services",
    "build_clock",
    "build_distributed",
    "build_embedded",
    "build_sim_exchange",
    "build_twap",
]
_MODULES = {
    "build_clock": "common",
    "build_distributed": "distributed",
    "EmbeddedSystem": "embedded",
    "SimExchangeSystem": "embedded",
    "build_embedded": "embedded",
    "build_sim_exchange": "embedded",
    "SERVICES": "registry",
    "ServiceUnavailable": "registry",
    "available_services": "registry",
    "TwapApp": "twap",
    "build_twap": "twap",
}


def __getattr__(name: str) -> object:
    if name in _MODULES:
        return getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
