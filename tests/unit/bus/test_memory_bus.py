"""The in-memory bus: routing, work queues, retries, dead letters and request/reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.topics import matches
from tradewind.application.ports.bus import JsonObject, Message, PoisonMessage, RemoteError, RequestTimeout


@pytest.fixture
async def bus() -> AsyncIterator[InMemoryBus]:
    b = InMemoryBus(max_retries=2)
    await b.start()
    yield b
    await b.close()


async def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.001)


def collector() -> tuple[list[Message], Callable[[Message], Awaitable[None]]]:
    seen: list[Message] = []

    async def handler(m: Message) -> None:
        seen.append(m)

    return seen, handler


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


async def test_fanout_delivers_a_copy_to_every_matching_subscriber(bus: InMemoryBus) -> None:
    a, ha = collector()
    b, hb = collector()
    c, hc = collector()
    await bus.subscribe("md.trade.#", ha)
    await bus.subscribe("md.*.sim.spot.BTCUSDT", hb)
    await bus.subscribe("md.book.#", hc)
    await bus.publish("md.trade.sim.spot.BTCUSDT", {"n": 1})
    await wait_for(lambda: len(a) == 1 and len(b) == 1)
    await asyncio.sleep(0.01)
    assert c == []
    assert a[0].payload == {"n": 1}


async def test_work_queue_gives_each_message_to_exactly_one_consumer(bus: InMemoryBus) -> None:
    a: list[Message] = []
    b: list[Message] = []

    def worker(seen: list[Message]) -> Callable[[Message], Awaitable[None]]:
        async def handle(m: Message) -> None:
            await asyncio.sleep(0)  # real work awaits I/O, letting the other consumer take messages
            seen.append(m)

        return handle

    ha, hb = worker(a), worker(b)
    await bus.subscribe("twap.slice", ha, queue="ordering")
    await bus.subscribe("twap.slice", hb, queue="ordering")
    for i in range(100):
        await bus.publish("twap.slice", {"i": i})
    await wait_for(lambda: len(a) + len(b) == 100)
    assert sorted(m.payload["i"] for m in a + b) == list(range(100))
    assert a and b  # both consumers took part


async def test_queue_keeps_messages_while_its_consumer_is_away(bus: InMemoryBus) -> None:
    first, h1 = collector()
    sub = await bus.subscribe("jobs.#", h1, queue="jobs")
    await sub.cancel()
    await bus.publish("jobs.x", {"k": 1})
    second, h2 = collector()
    await bus.subscribe("jobs.#", h2, queue="jobs")
    await wait_for(lambda: len(second) == 1)
    assert first == []


async def test_failing_handler_is_retried_then_dead_lettered(bus: InMemoryBus) -> None:
    attempts: list[str] = []

    async def flaky(m: Message) -> None:
        attempts.append(m.headers.get("x-delivery-count", "0"))
        raise RuntimeError("database down")

    await bus.subscribe("orders.new", flaky, queue="orders")
    await bus.publish("orders.new", {"id": "o1"})
    await wait_for(lambda: len(attempts) == 3)
    dead = await bus.dead_letters("orders")
    assert attempts == ["0", "1", "2"]
    assert [m.payload for m in dead] == [{"id": "o1"}]
    assert "database down" in dead[0].headers["x-death-reason"]


async def test_poison_message_is_dead_lettered_at_once_and_the_consumer_goes_on(bus: InMemoryBus) -> None:
    good: list[JsonObject] = []
    calls = 0

    async def handler(m: Message) -> None:
        nonlocal calls
        calls += 1
        if "qty" not in m.payload:
            raise PoisonMessage("missing field 'qty'")
        good.append(m.payload)

    await bus.subscribe("cmd", handler, queue="cmd")
    await bus.publish("cmd", {"broken": True})
    await bus.publish("cmd", {"qty": "1"})
    await wait_for(lambda: len(good) == 1)
    assert calls == 2
    assert [m.payload for m in await bus.dead_letters("cmd")] == [{"broken": True}]


async def test_request_reply_returns_the_responders_answer(bus: InMemoryBus) -> None:
    async def double(m: Message) -> JsonObject:
        return {"value": m.payload["value"] * 2}

    await bus.serve("rpc.orders", double)
    assert await bus.request("rpc.orders", {"value": 21}) == {"value": 42}


async def test_request_reports_the_responders_error(bus: InMemoryBus) -> None:
    async def fails(m: Message) -> JsonObject:
        raise ValueError("exposure limit")

    await bus.serve("rpc.orders", fails)
    with pytest.raises(RemoteError, match="exposure limit"):
        await bus.request("rpc.orders", {})


async def test_request_without_responder_times_out(bus: InMemoryBus) -> None:
    with pytest.raises(RequestTimeout):
        await bus.request("rpc.nobody", {}, timeout=0.05)


@pytest.mark.parametrize("topic", ["", "a..b", "md.*.x", "md.#"])
async def test_publish_to_an_invalid_topic_is_refused(bus: InMemoryBus, topic: str) -> None:
    seen, h = collector()
    await bus.subscribe("#", h)
    with pytest.raises(ValueError, match="invalid topic"):
        await bus.publish(topic, {})
    await asyncio.sleep(0.01)
    assert seen == []
