"""AMQP topic matching shared by the buses.

The bus behaviour (routing, work queues, retries, dead letters, request/reply) is the contract suite
tests/integration/adapters/bus/test_bus_contract.py, run on InMemoryBus and on RabbitMqBus.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.bus.topics import matches


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("md.trade.*.spot.BTCUSDT", "md.trade.sim.spot.BTCUSDT", True),
        ("md.trade.*", "md.trade.sim.spot.BTCUSDT", False),
        ("md.#", "md.trade.sim.spot.BTCUSDT", True),
        ("md.#", "md", True),
        ("#.BTCUSDT", "md.book.sim.linear.BTCUSDT", True),
        ("md.*.sim.#", "md.mid.sim.spot.ETHUSDT", True),
        ("md.*.sim.#", "md.mid.bybit.spot.ETHUSDT", False),
        ("twap.command", "twap.commands", False),
    ],
)
def test_topic_patterns_follow_amqp_rules(pattern: str, topic: str, expected: bool) -> None:
    assert matches(pattern, topic) is expected


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=5))
def test_hash_alone_matches_every_topic_and_exact_pattern_matches_itself(words: list[str]) -> None:
    topic = ".".join(words)
    assert matches("#", topic)
    assert matches(topic, topic)
