"""Faults the simulated exchange injects on purpose: rules as data (``settings``), seeded decisions (``plan``),
the admin route that swaps them at run time (``admin``). The faces and the venue ask the one ``FaultPlan``."""

from tradewind.interfaces.sim_exchange.faults.plan import FaultPlan, FaultRule, Hit
from tradewind.interfaces.sim_exchange.faults.settings import FaultKind, FaultRuleSettings, FaultSettings

__all__ = ["FaultKind", "FaultPlan", "FaultRule", "FaultRuleSettings", "FaultSettings", "Hit"]
