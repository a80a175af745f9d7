"""Faults the simulated exchange injects on purpose: rules as data (``settings``), seeded decisions (``plan``),
the admin route that swaps them at run time (``admin``). The faces and the venue ask the one ``FaultPlan``.

The plan loads on first use, so reading ``FaultSettings`` with the configuration does not import it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tradewind.interfaces.sim_exchange.faults.settings import FaultKind, FaultRuleSettings, FaultSettings

if TYPE_CHECKING:
    from tradewind.interfaces.sim_exchange.faults.plan import FaultPlan, FaultRule, Hit

__all__ = ["FaultKind", "FaultPlan", "FaultRule", "FaultRuleSettings", "FaultSettings", "Hit"]


def __getattr__(name: str) -> object:
    if name in ("FaultPlan", "FaultRule", "Hit"):
        return getattr(import_module(f"{__name__}.plan"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
