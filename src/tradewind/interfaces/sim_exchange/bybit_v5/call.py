"""What a REST handler gets: the venue, the parsed parameters, the caller's account, the server time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tradewind.application.venue import SimVenue
from tradewind.application.venue.account import VenueAccount
from tradewind.interfaces.sim_exchange.bybit_v5.errors import BybitError, RetCode
from tradewind.interfaces.sim_exchange.bybit_v5.params import Params


@dataclass(frozen=True, slots=True)
class Call:
    venue: SimVenue
    params: Params
    account_or_none: VenueAccount | None
    now_ms: int
    now_ns: int

    @property
    def account(self) -> VenueAccount:
        """The authenticated account (private routes only)."""
        if self.account_or_none is None:
            raise BybitError(RetCode.INVALID_KEY, "this endpoint needs a signed request")
        return self.account_or_none


Handler = Callable[[Call], dict[str, Any]]


def page(items: list[Any], params: Params, *, default_limit: int, max_limit: int) -> tuple[list[Any], str]:
    """Cut one page out of ``items`` by ``limit`` and the offset ``cursor``; return it and the next cursor."""
    limit = params.integer("limit", default=default_limit, lo=1, hi=max_limit)
    start = params.integer("cursor", default=0, lo=0, hi=10**9)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, str(start + limit) if more else ""
