"""In-memory bus for the embedded mode: same routing, queues, retries and dead letters as RabbitMQ."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import structlog

from tradewind.adapters.bus.topics import matches, validate_topic
from tradewind.application.ports.bus import (
    BusError,
    Handler,
    JsonObject,
    Message,
    PoisonMessage,
    RemoteError,
    RequestTimeout,
    Responder,
)

log = structlog.get_logger(__name__)

_REDELIVERED = "x-delivery-count"
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


@dataclass(eq=False)
class _Queue:
    """A queue with its bindings and competing consumers; fan-out subscriptions get a private one."""

    name: str
    patterns: list[str]
    buffer: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task[None]] = field(default_factory=list)
    dead: list[Message] = field(default_factory=list)
    exclusive: bool = False


class _Subscription:
    def __init__(self, bus: InMemoryBus, queue: _Queue, workers: list[asyncio.Task[None]]) -> None:
        self._bus, self._queue, self._workers = bus, queue, workers

    async def cancel(self) -> None:
        for worker in self._workers:
            await self._bus._detach(self._queue, worker)


class InMemoryBus:
    """Bus port on asyncio queues; a handler failure is retried ``max_retries`` times, then dead-lettered."""

    def __init__(self, *, max_retries: int = 3) -> None:
        self._max_retries = max_retries
        self._queues: dict[str, _Queue] = {}
        self._routes: dict[str, list[_Queue]] = {}
        self._pending: dict[str, asyncio.Future[JsonObject]] = {}
        self._ids = itertools.count(1)
        self._reply_topic = f"rpc.reply.{uuid.uuid4().hex}"
        self._reply_sub: _Subscription | None = None
        self._closed = False
        self.published = 0
        self.delivered = 0

    async def start(self) -> None:
        if self._reply_sub is None:
            self._reply_sub = await self.subscribe(self._reply_topic, self._on_reply)

    async def close(self) -> None:
        self._closed = True
        for queue in list(self._queues.values()):
            for worker in queue.workers:
                worker.cancel()
            await asyncio.gather(*queue.workers, return_exceptions=True)
            queue.workers.clear()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusError("bus closed"))

    @property
    def waiting(self) -> int:
        """Messages routed to a consumed queue that no consumer has taken yet (what a simulated-clock driver must
        let run before it moves time on)."""
        return sum(q.buffer.qsize() for q in self._queues.values() if q.workers)

    def backlog(self) -> dict[str, int]:
        """Messages waiting per queue: named queues by name, fan-out subscriptions summed by their pattern (the
        private reply queue of requests left out)."""
        found: dict[str, int] = {}
        for name, queue in self._queues.items():
            if queue.patterns == [self._reply_topic]:
                continue
            key = name.rsplit("#", 1)[0] if queue.exclusive else name
            found[key] = found.get(key, 0) + queue.buffer.qsize()
        return found

    async def publish(self, topic: str, payload: JsonObject, *, headers: Mapping[str, str] | None = None) -> None:
        frozen_headers = dict(headers) if headers else _NO_HEADERS
        await self._route(Message(topic, payload, f"m-{next(self._ids)}", headers=frozen_headers))

    async def _route(self, message: Message) -> None:
        if self._closed:
            raise BusError("bus closed")
        targets = self._routes.get(message.topic)
        if targets is None:  # first publish on this topic: validate once, then route from the cache
            validate_topic(message.topic)
            targets = [q for q in self._queues.values() if any(matches(p, message.topic) for p in q.patterns)]
            self._routes[message.topic] = targets
        self.published += 1
        for queue in targets:
            queue.buffer.put_nowait(message)

    async def subscribe(
        self, pattern: str, handler: Handler, *, queue: str | None = None, concurrency: int = 1
    ) -> _Subscription:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if queue is None:
            q = _Queue(f"fanout:{pattern}#{next(self._ids)}", [pattern], exclusive=True)
            self._queues[q.name] = q
        else:
            q = self._queues.setdefault(queue, _Queue(queue, []))
            if pattern not in q.patterns:
                q.patterns.append(pattern)
        self._routes.clear()
        workers = [asyncio.create_task(self._consume(q, handler), name=f"bus:{q.name}") for _ in range(concurrency)]
        q.workers.extend(workers)
        return _Subscription(self, q, workers)

    async def declare_queue(self, pattern: str, queue: str) -> None:
        """The named queue bound to ``pattern``; it buffers messages until a consumer subscribes with its name."""
        q = self._queues.setdefault(queue, _Queue(queue, []))
        if pattern not in q.patterns:
            q.patterns.append(pattern)
        self._routes.clear()

    async def _detach(self, queue: _Queue, worker: asyncio.Task[None]) -> None:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        if worker in queue.workers:
            queue.workers.remove(worker)
        if queue.exclusive:
            self._queues.pop(queue.name, None)
            self._routes.clear()

    async def _consume(self, queue: _Queue, handler: Handler) -> None:
        while True:
            message = await queue.buffer.get()
            try:
                await handler(message)
                self.delivered += 1
            except asyncio.CancelledError:
                queue.buffer.put_nowait(message)  # not acknowledged: stays for the next consumer
                raise
            except PoisonMessage as exc:
                self._dead_letter(queue, message, f"poison: {exc}")
            except Exception as exc:
                attempts = int(message.headers.get(_REDELIVERED, "0")) + 1
                if attempts > self._max_retries:
                    self._dead_letter(queue, message, f"failed {attempts} times: {exc!r}")
                else:
                    log.warning(
                        "bus.redeliver", queue=queue.name, topic=message.topic, attempt=attempts, error=repr(exc)
                    )
                    queue.buffer.put_nowait(replace(message, headers={**message.headers, _REDELIVERED: str(attempts)}))

    def _dead_letter(self, queue: _Queue, message: Message, reason: str) -> None:
        log.error("bus.dead_letter", queue=queue.name, topic=message.topic, reason=reason)
        queue.dead.append(replace(message, headers={**message.headers, "x-death-reason": reason}))

    async def dead_letters(self, queue: str) -> list[Message]:
        if queue in self._queues:
            return list(self._queues[queue].dead)
        # Fan-out queues carry a unique suffix; look them up by their pattern name too.
        found = [m for name, q in self._queues.items() if name.rsplit("#", 1)[0] == queue for m in q.dead]
        return found

    async def request(self, topic: str, payload: JsonObject, *, timeout: float = 5.0) -> JsonObject:
        await self.start()
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            await self._route(Message(topic, payload, f"m-{next(self._ids)}", correlation_id, self._reply_topic))
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RequestTimeout(f"no reply on {topic!r} within {timeout} s") from None
        finally:
            self._pending.pop(correlation_id, None)

    async def serve(self, topic: str, responder: Responder) -> _Subscription:
        async def handle(message: Message) -> None:
            if message.reply_to is None or message.correlation_id is None:
                raise PoisonMessage(f"request on {topic!r} without reply_to/correlation_id")
            try:
                body: JsonObject = {"ok": True, "result": await responder(message)}
            except PoisonMessage:
                raise
            except Exception as exc:  # logged here, and the caller gets it instead of a timeout
                error = f"{type(exc).__name__}: {exc}"
                log.error("bus.responder_failed", topic=message.topic, error=error, exc_info=exc)
                body = {"ok": False, "error": error}
            await self._route(Message(message.reply_to, body, f"m-{next(self._ids)}", message.correlation_id))

        return await self.subscribe(topic, handle, queue=f"rpc:{topic}")

    async def _on_reply(self, message: Message) -> None:
        future = self._pending.get(message.correlation_id or "")
        if future is None or future.done():
            return  # a reply after its timeout: the caller has gone
        if message.payload.get("ok"):
            future.set_result(message.payload["result"])
        else:
            future.set_exception(RemoteError(str(message.payload.get("error"))))
