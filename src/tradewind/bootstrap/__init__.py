"""The composition root: the only place that constructs adapters and services and wires them.

One module per workflow (``simulator``, ``storage``, ``marketdata``, ``twap``, ``gateway``) returns that workflow's
components for a ``Platform`` (the process's clock, bus and database); ``embedded`` runs their union in one process,
``registry`` names the distributed services and ``distributed`` builds one of them.
"""

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
