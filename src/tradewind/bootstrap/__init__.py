"""The composition root: the only place that constructs adapters and services and wires them.

One module per workflow (``simulator``, ``storage``, ``marketdata``, ``twap``, ``gateway``) returns that workflow's
components for a ``Platform`` (the process's clock, bus and database); ``embedded`` runs their union in one process,
``registry`` names the distributed services and ``distributed`` builds one of them. Each name loads its module on
first use, so a ``twap`` verb does not import the HTTP server, the simulator or Parquet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.bootstrap.common import build_clock as build_clock
    from tradewind.bootstrap.distributed import build_distributed as build_distributed
    from tradewind.bootstrap.embedded import EmbeddedSystem as EmbeddedSystem
    from tradewind.bootstrap.embedded import SimExchangeSystem as SimExchangeSystem
    from tradewind.bootstrap.embedded import build_embedded as build_embedded
    from tradewind.bootstrap.embedded import build_sim_exchange as build_sim_exchange
    from tradewind.bootstrap.registry import SERVICES as SERVICES
    from tradewind.bootstrap.registry import ServiceUnavailable as ServiceUnavailable
    from tradewind.bootstrap.registry import available_services as available_services
    from tradewind.bootstrap.twap import TwapApp as TwapApp
    from tradewind.bootstrap.twap import build_twap as build_twap

_LAZY = LazyNames(
    __name__,
    {
        "common": ("build_clock",),
        "distributed": ("build_distributed",),
        "embedded": ("EmbeddedSystem", "SimExchangeSystem", "build_embedded", "build_sim_exchange"),
        "registry": ("SERVICES", "ServiceUnavailable", "available_services"),
        "twap": ("TwapApp", "build_twap"),
    },
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
