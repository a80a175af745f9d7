"""The Bus port's contract, run on every implementation: InMemoryBus and RabbitMqBus (a fresh vhost each)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.support.bus import collector
from tests.support.logs import captured_logs
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.bus.topics import matches
from tradewind.application.ports.bus import Bus, JsonObject, Message, PoisonMessage, RemoteError, RequestTimeout

IMPLEMENTATIONS = ["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)]


@pytest.fixture(params=IMPLEMENTATIONS)
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    impl: Bus
    if request.param == "memory":
        impl = InMemoryBus(max_retries=2)
    else:
        settings: RabbitMqSettings = request.getfixturevalue("rabbit_settings")
        impl = RabbitMqBus(settings)
    await impl.start()
    yield impl
    await impl.close()


async def test_fanout_delivers_a_copy_to_every_matching_subscriber(bus: Bus) -> None:
    a, ha = collector()
    b, hb = collector()
    c, hc = collector()
    await bus.subscribe("md.trade.#", ha)
    await bus.subscribe("md.*.sim.spot.BTCUSDT", hb)
    await bus.subscribe("md.book.#", hc)
    await bus.publish("md.trade.sim.spot.BTCUSDT", {"n": 1})
    await bus.publish("md.book.sim.spot.BTCUSDT", {"n": 2})
    await wait_for(lambda: len(a) == 1 and len(b) == 2 and len(c) == 1)
    assert a[0].payload == {"n": 1}
    assert a[0].topic == "md.trade.sim.spot.BTCUSDT"
    assert [m.payload for m in c] == [{"n": 2}]  # the trade did not reach the book subscriber


PATTERNS = ["md.trade.*.spot.BTCUSDT", "md.trade.*", "md.#", "#.BTCUSDT", "md.*.sim.#", "twap.command", "#"]
TOPICS = ["md.trade.sim.spot.BTCUSDT", "md", "md.book.sim.linear.BTCUSDT", "md.mid.bybit.spot.ETHUSDT", "twap.commands"]


async def test_routing_agrees_with_amqp_topic_matching(bus: Bus) -> None:
    got: dict[str, list[Message]] = {}
    for pattern in PATTERNS:
        got[pattern], handler = collector()
        await bus.subscribe(pattern, handler)
    for topic in TOPICS:
        await bus.publish(topic, {"topic": topic})
    expected = {p: [t for t in TOPICS if matches(p, t)] for p in PATTERNS}
    await wait_for(lambda: {p: [m.topic for m in ms] for p, ms in got.items()} == expected)


async def test_headers_travel_with_the_message(bus: Bus) -> None:
    seen, handler = collector()
    await bus.subscribe("twap.event", handler)
    await bus.publish("twap.event", {"job": "j1"}, headers={"source": "twap", "trace": "t-42"})
    await wait_for(lambda: len(seen) == 1)
    assert seen[0].headers["source"] == "twap"
    assert seen[0].headers["trace"] == "t-42"
    assert seen[0].message_id


async def test_work_queue_gives_each_message_to_exactly_one_consumer(bus: Bus) -> None:
    a: list[Message] = []
    b: list[Message] = []

    def worker(seen: list[Message]) -> Callable[[Message], Awaitable[None]]:
        async def handle(m: Message) -> None:
            await asyncio.sleep(0)  # real work awaits I/O, letting the other consumer take messages
            seen.append(m)

        return handle

    await bus.subscribe("twap.slice", worker(a), queue="ordering")
    await bus.subscribe("twap.slice", worker(b), queue="ordering")
    for i in range(100):
        await bus.publish("twap.slice", {"i": i})
    await wait_for(lambda: len(a) + len(b) == 100)
    assert sorted(m.payload["i"] for m in a + b) == list(range(100))
    assert a and b  # both consumers took part


async def test_one_consumer_sees_its_queue_in_publication_order(bus: Bus) -> None:
    seen, handler = collector()
    await bus.subscribe("orders.#", handler, queue="orders")
    for i in range(50):
        await bus.publish(f"orders.{'new' if i % 2 else 'cancel'}", {"i": i})
    await wait_for(lambda: len(seen) == 50)
    assert [m.payload["i"] for m in seen] == list(range(50))


async def test_queue_keeps_messages_while_its_consumer_is_away(bus: Bus) -> None:
    first, h1 = collector()
    sub = await bus.subscribe("jobs.#", h1, queue="jobs")
    await sub.cancel()
    await bus.publish("jobs.x", {"k": 1})
    second, h2 = collector()
    await bus.subscribe("jobs.#", h2, queue="jobs")
    await wait_for(lambda: len(second) == 1)
    assert first == []
    assert second[0].payload == {"k": 1}


async def test_a_declared_queue_keeps_what_was_published_before_its_first_consumer(bus: Bus) -> None:
    await bus.declare_queue("early.#", "early")
    await bus.declare_queue("early.#", "early")  # declaring again changes nothing
    await bus.publish("early.a", {"k": 1})
    await bus.publish("other.a", {"k": 2})  # not bound: not kept
    seen, handler = collector()
    await bus.subscribe("early.#", handler, queue="early")
    await wait_for(lambda: len(seen) == 1)
    await asyncio.sleep(0.05)
    assert [m.payload for m in seen] == [{"k": 1}]


async def test_message_in_flight_when_its_consumer_cancels_goes_to_the_next_consumer(bus: Bus) -> None:
    started = asyncio.Event()

    async def stuck(m: Message) -> None:
        started.set()
        await asyncio.Event().wait()  # never acknowledges

    sub = await bus.subscribe("jobs.run", stuck, queue="jobs")
    await bus.publish("jobs.run", {"job": 7})
    await asyncio.wait_for(started.wait(), 15)
    await sub.cancel()
    second, handler = collector()
    await bus.subscribe("jobs.run", handler, queue="jobs")
    await wait_for(lambda: len(second) == 1)
    assert second[0].payload == {"job": 7}


async def test_cancelled_fanout_subscriber_gets_nothing_more(bus: Bus) -> None:
    gone, h_gone = collector()
    kept, h_kept = collector()
    sub = await bus.subscribe("md.mid.#", h_gone)
    await bus.subscribe("md.mid.#", h_kept)
    await sub.cancel()
    await bus.publish("md.mid.sim.spot.BTCUSDT", {"mid": "1"})
    await wait_for(lambda: len(kept) == 1)
    assert gone == []


async def test_failing_handler_is_retried_then_dead_lettered(bus: Bus) -> None:
    attempts: list[str] = []

    async def flaky(m: Message) -> None:
        attempts.append(m.headers.get("x-delivery-count", "0"))
        raise RuntimeError("database down")

    await bus.subscribe("orders.new", flaky, queue="orders")
    await bus.publish("orders.new", {"id": "o1"})
    dead = await eventually(lambda: bus.dead_letters("orders"), bool)
    assert attempts == ["0", "1", "2"]  # max_retries=2: first delivery plus two retries
    assert [m.payload for m in dead] == [{"id": "o1"}]
    assert [m.topic for m in dead] == ["orders.new"]
    assert "database down" in dead[0].headers["x-death-reason"]


async def test_poison_message_is_dead_lettered_at_once_and_the_consumer_goes_on(bus: Bus) -> None:
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
    dead = await eventually(lambda: bus.dead_letters("cmd"), bool)
    assert calls == 2
    assert [m.payload for m in dead] == [{"broken": True}]
    assert dead[0].headers["x-death-reason"] == "poison: missing field 'qty'"


async def test_dead_letters_stay_after_they_are_read(bus: Bus) -> None:
    async def refuse(m: Message) -> None:
        raise PoisonMessage(f"bad {m.payload['n']}")

    await bus.subscribe("cmd", refuse, queue="cmd")
    for n in range(3):
        await bus.publish("cmd", {"n": n})
    first = await eventually(lambda: bus.dead_letters("cmd"), lambda found: len(found) == 3)
    second = await bus.dead_letters("cmd")
    assert [m.payload for m in first] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [m.payload for m in second] == [m.payload for m in first]


async def test_fanout_subscription_dead_letters_under_its_pattern(bus: Bus) -> None:
    async def refuse(m: Message) -> None:
        raise PoisonMessage("unreadable")

    await bus.subscribe("signal.*", refuse)
    await bus.publish("signal.trend", {"action": "BUY"})
    dead = await eventually(lambda: bus.dead_letters("fanout:signal.*"), bool)
    assert [(m.topic, m.payload) for m in dead] == [("signal.trend", {"action": "BUY"})]


async def test_unknown_queue_has_no_dead_letters(bus: Bus) -> None:
    assert await bus.dead_letters("never-used") == []


async def test_request_reply_returns_the_responders_answer(bus: Bus) -> None:
    async def double(m: Message) -> JsonObject:
        return {"value": m.payload["value"] * 2}

    await bus.serve("rpc.orders", double)
    assert await bus.request("rpc.orders", {"value": 21}) == {"value": 42}
    replies = await asyncio.gather(*(bus.request("rpc.orders", {"value": v}) for v in range(10)))
    assert [r["value"] for r in replies] == [2 * v for v in range(10)]  # each reply found its own caller


async def test_request_reports_the_responders_error(bus: Bus) -> None:
    async def fails(m: Message) -> JsonObject:
        raise ValueError("exposure limit")

    await bus.serve("rpc.orders", fails)
    with pytest.raises(RemoteError, match="exposure limit"):
        await bus.request("rpc.orders", {})


async def test_a_responders_failure_is_logged_where_it_serves_and_the_caller_gets_remote_error(bus: Bus) -> None:
    async def fails(m: Message) -> JsonObject:
        raise ValueError("exposure limit")

    await bus.serve("rpc.orders", fails)
    with captured_logs() as logs, pytest.raises(RemoteError, match="exposure limit"):
        await bus.request("rpc.orders", {})
    failed = [e for e in logs if e["event"] == "bus.responder_failed"]
    assert [(e["log_level"], e["topic"], e["error"]) for e in failed] == [
        ("error", "rpc.orders", "ValueError: exposure limit")
    ]


async def test_request_without_responder_times_out(bus: Bus) -> None:
    with pytest.raises(RequestTimeout):
        await bus.request("rpc.nobody", {}, timeout=0.05)


@pytest.mark.parametrize("topic", ["", "a..b", "md.*.x", "md.#"])
async def test_publish_to_an_invalid_topic_is_refused(bus: Bus, topic: str) -> None:
    seen, h = collector()
    await bus.subscribe("#", h)
    with pytest.raises(ValueError, match="invalid topic"):
        await bus.publish(topic, {})
    await bus.publish("probe", {})
    await wait_for(lambda: len(seen) == 1)
    assert [m.topic for m in seen] == ["probe"]  # only the valid message went out


@pytest.mark.parametrize("queue", [None, "work.parallel"])
async def test_concurrency_handles_that_many_messages_at_once_and_one_by_default(bus: Bus, queue: str | None) -> None:
    release = asyncio.Event()
    inside: list[int] = []
    done: list[int] = []

    async def hold(message: Message) -> None:
        inside.append(int(message.payload["n"]))
        await release.wait()
        done.append(int(message.payload["n"]))

    await bus.subscribe("work.parallel.#", hold, queue=queue, concurrency=3)
    serial: list[int] = []

    async def one_at_a_time(message: Message) -> None:
        serial.append(int(message.payload["n"]))
        await release.wait()

    await bus.subscribe("work.serial.#", one_at_a_time, queue=None if queue is None else "work.serial")
    for n in range(5):
        await bus.publish("work.parallel.x", {"n": n})
        await bus.publish("work.serial.x", {"n": n})
    await wait_for(lambda: len(inside) == 3 and len(serial) == 1)
    await asyncio.sleep(0.05)  # nobody else gets in while the three (and the one) are held
    assert (len(inside), len(serial), done) == (3, 1, [])
    release.set()
    await wait_for(lambda: sorted(done) == [0, 1, 2, 3, 4] and len(serial) == 5)
