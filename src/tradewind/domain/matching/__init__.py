"""Price-time priority matching engine, in integer ticks and lots.

The core (``events``, ``core``, ``engine``) is compiled with mypyc when the package is installed; ``kernel``
decides at import which build runs (``TRADEWIND_PURE_PYTHON=1``: the pure-Python source). ``KERNEL`` names it.
"""

import os
import sys

from tradewind.domain.matching import kernel as _kernel

_kernel.choose(__name__, dict(os.environ))

from tradewind.domain.matching.engine import MatchingEngine  # noqa: E402 -- after the kernel is chosen
from tradewind.domain.matching.events import (  # noqa: E402
    Fill,
    L2Snapshot,
    LevelChange,
    OrderStatus,
    RejectReason,
    Report,
    RestingOrderView,
)

COMPILED = _kernel.is_compiled(sys.modules[MatchingEngine.__module__])
KERNEL = "mypyc" if COMPILED else "pure Python"

__all__ = [
    "COMPILED",
    "KERNEL",
    "Fill",
    "L2Snapshot",
    "LevelChange",
    "MatchingEngine",
    "OrderStatus",
    "RejectReason",
    "Report",
    "RestingOrderView",
]
