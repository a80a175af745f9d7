"""The venue's side of the plan: ``odd_partial_fills`` cuts a taker fill into odd-sized executions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tradewind.application.venue import FillSplitter
from tradewind.domain.instruments import Instrument
from tradewind.interfaces.sim_exchange.faults.plan import FaultPlan
from tradewind.interfaces.sim_exchange.faults.settings import FaultKind, OddFillParams

_KINDS = (FaultKind.ODD_PARTIAL_FILLS,)


def fill_splitter(plan: FaultPlan, now_ms: Callable[[], int]) -> FillSplitter:
    """What the venue asks per taker fill; ``route`` is matched against the market, ``spot.BTCUSDT``."""

    def split(api_key: str, inst: Instrument, lots: int) -> Sequence[int] | None:
        if not plan.has_any(_KINDS):
            return None
        route = f"{inst.category.value}.{inst.symbol}"
        hit = plan.first(FaultKind.ODD_PARTIAL_FILLS, account=api_key, route=route, now_ms=now_ms())
        if hit is None or not isinstance(hit.params, OddFillParams):
            return None
        return plan.split(lots, hit.params.max_pieces)

    return split
