"""Faults the simulated exchange injects on purpose: rules as data (``settings``), seeded decisions (``plan``),
the admin route that swaps them at run time (``admin``). The faces and the venue ask the one ``FaultPlan``.

Each name loads its module on first use, so reading ``FaultSettings`` with the configuration does not import the
plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.interfaces.sim_exchange.faults.plan import FaultPlan as FaultPlan
    from tradewind.interfaces.sim_exchange.faults.plan import FaultRule as FaultRule
    from tradewind.interfaces.sim_exchange.faults.plan import Hit as Hit
    from tradewind.interfaces.sim_exchange.faults.settings import FaultKind as FaultKind
    from tradewind.interfaces.sim_exchange.faults.settings import FaultRuleSettings as FaultRuleSettings
    from tradewind.interfaces.sim_exchange.faults.settings import FaultSettings as FaultSettings

_LAZY = LazyNames(
    __name__,
    {"plan": ("FaultPlan", "FaultRule", "Hit"), "settings": ("FaultKind", "FaultRuleSettings", "FaultSettings")},
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
