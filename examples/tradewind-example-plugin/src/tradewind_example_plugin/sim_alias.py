"""An exchange plugin: the in-process simulated venue under the entry's own name (a paper-trading alias)."""

from __future__ import annotations

from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.application.plugins import ExchangeContext
from tradewind.application.ports.exchange import ExchangeGateway


def gateway(context: ExchangeContext) -> ExchangeGateway:
    """The ``tradewind.exchanges`` entry point: a gateway named ``context.name`` on the simulated venue."""
    if context.venue is None:
        raise ValueError(f"exchange {context.name!r} (sim-alias) needs the simulated venue in this process")
    return SimGateway(context.venue, context.sim_account, context.name)
