"""FillsLook: one read per market for the positions of a look, each given exactly what its own read would answer; a
position not announced and older than the read read again."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes.exchange import FakeExchange
from tradewind.application.trading.fills import FillsLook
from tradewind.domain.orders import ExecutionFill
from tradewind.domain.values import Category

MS = 1_000_000
NOW = 1_767_225_600_000 * MS
LINEAR = Category.LINEAR


@dataclass(frozen=True, slots=True)
class Position:
    created_ns: int
    symbol: str = "BTCUSDT"
    exchange: str = "fake"
    category: Category = LINEAR


class Counting(FakeExchange):
    def __init__(self) -> None:
        super().__init__("fake")
        self.since: Counter[int | None] = Counter()

    async def fetch_fills(
        self, category: Category, symbol: str, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[ExecutionFill]:
        self.since[since_ns] += 1
        return await super().fetch_fills(category, symbol, client_order_id=client_order_id, since_ns=since_ns)


def _exchange(fill_ns: list[int], symbol: str = "BTCUSDT") -> Counting:
    exchange = Counting()
    for n, ts in enumerate(fill_ns):
        exchange.executions.append(
            ExecutionFill(f"t{n}", "", Decimal(1), Decimal(1), Decimal(0), "USDT", False, ts, symbol)
        )
    return exchange


async def _one_read_case(fills: list[int], created: list[int]) -> None:
    exchange = _exchange([NOW + f // MS * MS for f in fills])  # venues stamp fills in whole milliseconds
    positions = [Position(NOW + c) for c in created]
    look = FillsLook(positions)
    for position in positions:
        own = await exchange.fetch_fills(LINEAR, "BTCUSDT", since_ns=position.created_ns)
        assert await look.fills(exchange, position) == own
    assert exchange.since.total() == len(positions) + 1  # the positions' own reads, and the look's one


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 5 * MS), min_size=1, max_size=10),  # fills, within 5 ms of each other
    st.lists(st.integers(0, 5 * MS), min_size=1, max_size=6),  # positions' creation, at any nanosecond
)
def test_each_position_gets_its_own_reads_answer_from_one_read(fills: list[int], created: list[int]) -> None:
    asyncio.run(_one_read_case(fills, created))


async def test_a_position_not_announced_and_older_than_the_read_is_read_again_from_its_creation() -> None:
    exchange = _exchange([NOW, NOW + 3 * MS])
    look = FillsLook([Position(NOW + 2 * MS)])
    assert len(await look.fills(exchange, Position(NOW + 2 * MS))) == 1
    assert len(await look.fills(exchange, Position(NOW))) == 2  # not announced, older: the market read again
    assert len(await look.fills(exchange, Position(NOW + 2 * MS))) == 1  # from the new read, no third
    assert exchange.since == {NOW + 2 * MS: 1, NOW: 1}
