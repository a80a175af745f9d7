"""The composition root: the only place that constructs adapters and services and wires them.

``embedded`` builds the one-process system (``tradewind run``) and the stand-alone simulated exchange,
``distributed`` one service per process, ``twap`` the TWAP services both of them use.
"""

from tradewind.bootstrap.common import build_clock
from tradewind.bootstrap.distributed import DISTRIBUTED_SERVICES, build_distributed
from tradewind.bootstrap.embedded import EmbeddedSystem, SimExchangeSystem, build_embedded, build_sim_exchange
from tradewind.bootstrap.twap import TwapSystem, build_twap

__all__ = [
    "DISTRIBUTED_SERVICES",
    "EmbeddedSystem",
    "SimExchangeSystem",
    "TwapSystem",
    "build_clock",
    "build_distributed",
    "build_embedded",
    "build_sim_exchange",
    "build_twap",
]
