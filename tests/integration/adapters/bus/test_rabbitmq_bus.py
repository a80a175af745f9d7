"""RabbitMqBus beyond the shared contract: wire format, undecodable bodies, several processes, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import aio_pika
import pytest
from aio_pika.abc import DeliveryMode
from aio_pika.exceptions import ChannelNotFoundEntity, ChannelPreconditionFailed
from aiormq.exceptions import ChannelLockedResource

from tests.support.bus import collector
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.application.ports.bus import BusError, JsonObject, Message


@pytest.fixture
async def raw(rabbit_settings: RabbitMqSettings) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    """A plain aio-pika connection to the test's vhost, to look at what the bus put on the wire."""
    connection = await aio_pika.connect(rabbit_settings.url)
    yield connection
    await connection.close()


@pytest.fixture
async def second_bus(rabbit_settings: RabbitMqSettings) -> AsyncIterator[RabbitMqBus]:
    """Another bus on the same vhost: what a second service process would hold."""
    bus = RabbitMqBus(rabbit_settings)
    await bus.start()
    yield bus
    await bus.close()


async def test_published_message_is_persistent_json_in_a_durable_queue(
    rabbit_bus: RabbitMqBus, raw: aio_pika.abc.AbstractConnection
) -> None:
    sub = await rabbit_bus.subscribe("order.event", collector()[1], queue="orders")
    await sub.cancel()  # the queue now holds what is published, for us to look at
    await rabbit_bus.publish("order.event", {"price": "65000.1", "qty": "0.5"}, headers={"source": "twap"})
    queue = await (await raw.channel()).declare_queue("orders", passive=True)
    got = await eventually(lambda: queue.get(no_ack=True, fail=False), lambda m: m is not None)
    assert got is not None
    with pytest.raises(ChannelPreconditionFailed, match="durable"):  # it exists, and durable
        await (await raw.channel()).declare_queue("orders", durable=False)
    assert got.delivery_mode == DeliveryMode.PERSISTENT
    assert got.content_type == "application/json"
    assert got.routing_key == "order.event"
    assert got.body == b'{"price":"65000.1","qty":"0.5"}'
    assert got.headers == {"source": "twap"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{not json", "not JSON"), (b"[1, 2]", "JSON list, not an object"), (b"\xff\xfe", "not UTF-8")],
)
async def test_undecodable_body_is_dead_lettered_at_once_and_the_consumer_goes_on(
    rabbit_bus: RabbitMqBus, raw: aio_pika.abc.AbstractConnection, body: bytes, reason: str
) -> None:
    seen, handler = collector()
    await rabbit_bus.subscribe("cmd", handler, queue="cmd")
    exchange = await (await raw.channel()).get_exchange(rabbit_bus.settings.exchange)
    await exchange.publish(aio_pika.Message(body, delivery_mode=DeliveryMode.PERSISTENT), routing_key="cmd")
    await rabbit_bus.publish("cmd", {"qty": "1"})
    await wait_for(lambda: len(seen) == 1)
    dead = await eventually(lambda: rabbit_bus.dead_letters("cmd"), bool)
    assert [m.payload for m in seen] == [{"qty": "1"}]
    assert len(dead) == 1
    assert dead[0].topic == "cmd"
    assert dead[0].payload == {"raw": body.decode("utf-8", errors="replace")}
    assert dead[0].headers["x-death-reason"].startswith("undecodable: ")
    assert reason in dead[0].headers["x-death-reason"]


async def test_two_processes_share_a_work_queue_and_answer_each_others_requests(
    rabbit_bus: RabbitMqBus, second_bus: RabbitMqBus
) -> None:
    a, ha = collector()
    b, hb = collector()
    await rabbit_bus.subscribe("twap.slice", ha, queue="slices")
    await second_bus.subscribe("twap.slice", hb, queue="slices")

    async def quote(m: Message) -> JsonObject:
        return {"symbol": m.payload["symbol"], "served_by": "second"}

    await second_bus.serve("rpc.quote", quote)
    for i in range(200):
        await rabbit_bus.publish("twap.slice", {"i": i})
    await wait_for(lambda: len(a) + len(b) == 200)
    assert sorted(m.payload["i"] for m in a + b) == list(range(200))
    assert a and b
    assert await rabbit_bus.request("rpc.quote", {"symbol": "BTCUSDT"}) == {"symbol": "BTCUSDT", "served_by": "second"}


async def test_message_held_by_a_process_that_dies_goes_to_another_process(
    rabbit_settings: RabbitMqSettings, second_bus: RabbitMqBus
) -> None:
    dying = RabbitMqBus(rabbit_settings)
    started = asyncio.Event()

    async def stuck(m: Message) -> None:
        started.set()
        await asyncio.Event().wait()

    await dying.subscribe("orders.new", stuck, queue="orders")
    await second_bus.publish("orders.new", {"id": "o1"})
    await asyncio.wait_for(started.wait(), 15)
    await dying.close()  # its connection goes; the unacknowledged message returns to the queue
    seen, handler = collector()
    await second_bus.subscribe("orders.new", handler, queue="orders")
    await wait_for(lambda: len(seen) == 1)
    assert seen[0].payload == {"id": "o1"}


async def test_cancelled_fanout_subscription_removes_its_queue(
    rabbit_bus: RabbitMqBus, raw: aio_pika.abc.AbstractConnection
) -> None:
    sub = await rabbit_bus.subscribe("md.trade.#", collector()[1])
    with pytest.raises(ChannelLockedResource):  # it exists, exclusive to the bus's connection
        await (await raw.channel()).declare_queue(sub.queue_name, passive=True)
    await sub.cancel()
    with pytest.raises(ChannelNotFoundEntity):
        await (await raw.channel()).declare_queue(sub.queue_name, passive=True)


@pytest.mark.parametrize(
    ("payload", "error", "match"),
    [
        ({"price": Decimal("1.5")}, TypeError, "payload for 'order.request' is not JSON: Decimal"),
        ({"qty": float("nan")}, ValueError, "payload for 'order.request' is not JSON"),
        ([1, 2], TypeError, "must be a JSON object"),
    ],
)
async def test_payload_that_is_not_a_json_object_is_refused_and_nothing_is_sent(
    rabbit_bus: RabbitMqBus, payload: object, error: type[Exception], match: str
) -> None:
    seen, handler = collector()
    await rabbit_bus.subscribe("#", handler)
    with pytest.raises(error, match=match):
        await rabbit_bus.publish("order.request", payload)  # type: ignore[arg-type]
    await rabbit_bus.publish("probe", {})
    await wait_for(lambda: len(seen) == 1)
    assert [m.topic for m in seen] == ["probe"]
    assert rabbit_bus.published == 1


@pytest.mark.parametrize("queue", ["", "amq.mine", "orders!", "x" * 251])
async def test_invalid_queue_name_is_refused_with_the_name(rabbit_bus: RabbitMqBus, queue: str) -> None:
    with pytest.raises(ValueError, match="invalid queue name"):
        await rabbit_bus.subscribe("orders.#", collector()[1], queue=queue)


async def test_wildcard_queue_and_fanout_names_map_to_valid_amqp_names(rabbit_bus: RabbitMqBus) -> None:
    seen, handler = collector()
    await rabbit_bus.subscribe("md.*.sim.#", handler, queue="md.*.recorder")
    await rabbit_bus.publish("md.mid.sim.spot.BTCUSDT", {"mid": "1"})
    await wait_for(lambda: len(seen) == 1)
    assert seen[0].topic == "md.mid.sim.spot.BTCUSDT"


async def test_unreachable_broker_fails_start_naming_the_address_without_password() -> None:
    bus = RabbitMqBus(RabbitMqSettings(url="amqp://guest:s3cret@127.0.0.1:1/", connect_timeout=2))
    with pytest.raises(BusError, match=r"cannot connect to RabbitMQ at amqp://guest:\*\*\*@127\.0\.0\.1:1/") as info:
        await bus.start()
    assert "s3cret" not in str(info.value)
    await bus.close()


async def test_closed_bus_refuses_to_publish(rabbit_settings: RabbitMqSettings) -> None:
    bus = RabbitMqBus(rabbit_settings)
    await bus.start()
    await bus.close()
    with pytest.raises(BusError, match="bus closed"):
        await bus.publish("x", {})


async def test_request_waiting_when_the_bus_closes_fails_at_once(rabbit_bus: RabbitMqBus) -> None:
    pending = asyncio.create_task(rabbit_bus.request("rpc.nobody", {}, timeout=60))
    await wait_for(lambda: rabbit_bus.pending_requests == 1)
    await rabbit_bus.close()
    with pytest.raises(BusError, match="bus closed"):
        await pending
