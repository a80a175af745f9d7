"""A bus decorator that counts every message in and out by topic kind, on a service's Prometheus metrics."""

from __future__ import annotations

from collections.abc import Mapping

from tradewind.adapters.metrics import ServiceMetrics
from tradewind.application.messages.codec import topic_kind
from tradewind.application.ports.bus import Bus, Handler, JsonObject, Message, Responder, Subscription


class MeteredBus:
    """A Bus that counts what passes through the one it wraps; handler failures count as errors and still raise."""

    def __init__(self, inner: Bus, metrics: ServiceMetrics) -> None:
        self.inner = inner
        self._metrics = metrics

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def publish(self, topic: str, payload: JsonObject, *, headers: Mapping[str, str] | None = None) -> None:
        try:
            await self.inner.publish(topic, payload, headers=headers)
        except Exception:
            self._metrics.errors.labels("publish").inc()
            raise
        self._metrics.messages_out.labels(topic_kind(topic)).inc()

    async def subscribe(
        self, pattern: str, handler: Handler, *, queue: str | None = None, concurrency: int = 1
    ) -> Subscription:
        return await self.inner.subscribe(pattern, self._counted(handler), queue=queue, concurrency=concurrency)

    def _counted(self, handler: Handler) -> Handler:
        metrics = self._metrics

        async def handle(message: Message) -> None:
            try:
                await handler(message)
            except Exception:
                metrics.errors.labels("handler").inc()
                raise
            metrics.messages_in.labels(topic_kind(message.topic)).inc()

        return handle

    async def request(self, topic: str, payload: JsonObject, *, timeout: float = 5.0) -> JsonObject:
        try:
            reply = await self.inner.request(topic, payload, timeout=timeout)
        except Exception:
            self._metrics.errors.labels("request").inc()
            raise
        self._metrics.messages_out.labels(topic_kind(topic)).inc()
        return reply

    async def serve(self, topic: str, responder: Responder) -> Subscription:
        metrics = self._metrics

        async def respond(message: Message) -> JsonObject:
            metrics.messages_in.labels(topic_kind(message.topic)).inc()
            return await responder(message)

        return await self.inner.serve(topic, respond)

    async def dead_letters(self, queue: str) -> list[Message]:
        return await self.inner.dead_letters(queue)

    async def declare_queue(self, pattern: str, queue: str) -> None:
        await self.inner.declare_queue(pattern, queue)
