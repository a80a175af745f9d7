"""Bus throughput: RabbitMqBus next to raw aio-pika with the same settings, and the in-memory bus.

Run: ``.venv/bin/python -m bench.bench_bus [--messages 20000] [--rabbitmq-url URL]``. Every message is a small
JSON object, published persistent with publisher confirms to a durable topic exchange and consumed from a
durable queue with manual acks and the same prefetch; the clock runs from the first publish to the last ack.
The exchanges and queues get names of their own and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, DeliveryMode, ExchangeType

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus, RabbitMqSettings
from tradewind.application.ports.bus import Bus, Message

TOPIC = "md.trade.sim.spot.BTCUSDT"
WARMUP = 500


def payload(i: int) -> dict[str, object]:
    return {"id": f"t{i}", "price": "65000.1", "qty": "0.001", "side": "Buy", "ts": 1_767_225_600_000 + i}


async def publish_all(send: Callable[[int], Awaitable[object]], count: int, inflight: int) -> None:
    """``count`` publishes with at most ``inflight`` awaiting their confirm at once."""
    if inflight == 1:  # gather would wrap every publish in a task and measure that instead
        for i in range(count):
            await send(i)
        return
    for start in range(0, count, inflight):
        await asyncio.gather(*(send(i) for i in range(start, min(start + inflight, count))))


async def run_bus(bus: Bus, count: int, inflight: int, queue: str) -> float:
    done = asyncio.Event()
    received = 0
    target = WARMUP

    async def handler(m: Message) -> None:
        nonlocal received
        received += 1
        if received == target:
            done.set()

    await bus.subscribe(TOPIC, handler, queue=queue)
    await publish_all(lambda i: bus.publish(TOPIC, payload(i)), WARMUP, inflight)
    await done.wait()
    done.clear()
    target = WARMUP + count
    start = time.perf_counter()
    await publish_all(lambda i: bus.publish(TOPIC, payload(i)), count, inflight)
    await done.wait()
    return count / (time.perf_counter() - start)


async def run_raw(settings: RabbitMqSettings, count: int, inflight: int, queue_name: str) -> float:
    """The same flow written directly on aio-pika: what the bus adds is the difference."""
    connection = await aio_pika.connect_robust(settings.url)
    try:
        publisher = await connection.channel(publisher_confirms=True)
        exchange = await publisher.declare_exchange(settings.exchange, ExchangeType.TOPIC, durable=True)
        consumer = await connection.channel()
        await consumer.set_qos(prefetch_count=settings.prefetch)
        queue = await consumer.declare_queue(queue_name, durable=True)
        await queue.bind(settings.exchange, routing_key=TOPIC)
        done = asyncio.Event()
        received = 0
        target = WARMUP

        async def on_message(incoming: AbstractIncomingMessage) -> None:
            nonlocal received
            json.loads(incoming.body)
            await incoming.ack()
            received += 1
            if received == target:
                done.set()

        async def send(i: int) -> None:
            body = json.dumps(payload(i), separators=(",", ":")).encode()
            message = aio_pika.Message(
                body,
                content_type="application/json",
                delivery_mode=DeliveryMode.PERSISTENT,
                message_id=uuid.uuid4().hex,
            )
            await exchange.publish(message, TOPIC, mandatory=False)

        await queue.consume(on_message)
        await publish_all(send, WARMUP, inflight)
        await done.wait()
        done.clear()
        target = WARMUP + count
        start = time.perf_counter()
        await publish_all(send, count, inflight)
        await done.wait()
        return count / (time.perf_counter() - start)
    finally:
        await connection.close()


async def cleanup(settings: RabbitMqSettings, queues: list[str]) -> None:
    connection = await aio_pika.connect(settings.url)
    try:
        channel = await connection.channel()
        for name in queues:
            await channel.queue_delete(name, if_unused=False, if_empty=False)
            await channel.queue_delete(f"{name}.dlq", if_unused=False, if_empty=False)
        await channel.exchange_delete(settings.exchange)
        await channel.exchange_delete(settings.dead_letter_exchange)
    finally:
        await connection.close()


async def rabbit_round(settings: RabbitMqSettings, count: int, inflight: int, run: str) -> tuple[float, float]:
    bus = RabbitMqBus(settings)
    await bus.start()
    try:
        bus_rate = await run_bus(bus, count, inflight, f"bench-bus-{run}")
    finally:
        await bus.close()
    raw_rate = await run_raw(settings, count, inflight, f"bench-raw-{run}")
    return bus_rate, raw_rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1, help="the best of this many rounds is reported")
    parser.add_argument("--rabbitmq-url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--prefetch", type=int, default=64)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    settings = RabbitMqSettings(
        url=args.rabbitmq_url,
        exchange=f"bench.events.{run}",
        dead_letter_exchange=f"bench.dead.{run}",
        prefetch=args.prefetch,
    )
    print("| bus | publishes in flight | messages | msg/s (best of rounds) | bus / raw |")
    print("| --- | ---: | ---: | ---: | ---: |")
    queues: list[str] = []
    try:
        # One confirm at a time waits for the broker's disk on every message, so that run is kept short.
        for inflight, count in ((100, args.messages), (1, args.messages // 10)):
            best_bus = best_raw = 0.0
            for r in range(args.rounds):
                tag = f"{run}-{inflight}-{r}"
                queues += [f"bench-bus-{tag}", f"bench-raw-{tag}"]
                bus_rate, raw_rate = await rabbit_round(settings, count, inflight, tag)
                best_bus, best_raw = max(best_bus, bus_rate), max(best_raw, raw_rate)
            n = f"{count:,}"
            print(f"| RabbitMqBus | {inflight} | {n} | {best_bus:,.0f} | {best_bus / best_raw:.2f} |")
            print(f"| raw aio-pika | {inflight} | {n} | {best_raw:,.0f} | 1.00 |")
    except Exception as exc:
        print(f"RabbitMQ part failed: {exc!r}", file=sys.stderr)
    finally:
        try:
            await cleanup(settings, queues)
        except Exception as exc:
            print(f"cleanup failed: {exc!r}", file=sys.stderr)
    memory_best = 0.0
    for _ in range(args.rounds):
        memory = InMemoryBus()
        await memory.start()
        memory_best = max(memory_best, await run_bus(memory, args.messages * 5, 1, "bench-memory"))
        await memory.close()
    print(f"| InMemoryBus | 1 | {args.messages * 5:,} | {memory_best:,.0f} | |")


if __name__ == "__main__":
    asyncio.run(main())
