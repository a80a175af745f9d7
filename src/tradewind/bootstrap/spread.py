"""The spread workflow: the signal engine (``md.book`` -> ``rpc.orders``) and the trading engine (ACK / NACK).

Embedded: both in the process, over the in-memory bus, the trading engine in the configured mode (``simulated`` by
default: no exchange order). Distributed: the ``signal`` and ``trading-engine`` services over RabbitMQ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import structlog

from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.store.sqlalchemy.spread_repository import SqlSpreadRepository
from tradewind.application.lifecycle import Component
from tradewind.application.messages.codec import MalformedPayload, request, serve
from tradewind.application.messages.spread import ORDERS_CALL, SETTLEMENT, SETTLEMENT_KIND, SPREADS_CALL
from tradewind.application.ports.bus import BusError, Message, Subscription
from tradewind.application.ports.exchange import ExchangeGateway, UnknownInstrument
from tradewind.application.spread.signal import InstrumentOf, SignalEngine
from tradewind.application.spread.trading import TradingEngine
from tradewind.bootstrap.exchanges import ExchangeConnections, as_ports, publishing_gateways
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.storage import schema_at_head
from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.market import InstrumentRef
from tradewind.domain.spread.orders import SpreadBook, SpreadOrder, SpreadQuery, SpreadReply

log = structlog.get_logger(__name__)
ORDERS_QUEUE = f"rpc:{ORDERS_CALL.topic}"  # the trading engine's request queue (its lag)
_START_ATTEMPTS = 5  # asks of the trading engine for its open spreads before the signal engine starts without
# Durable queues of earlier releases nothing reads now: the simulated engine's funding payments (before settlements).
RETIRED_QUEUES = (("spread.funding", "funding.payment.#"),)


@dataclass(frozen=True, slots=True)
class SpreadParts:
    signal: SignalEngine
    trading: TradingEngine
    components: list[Component]


def instruments(gateways: Mapping[str, ExchangeGateway], known: Iterable[Instrument] | None = None) -> InstrumentOf:
    """A leg's instrument from its exchange's gateway when loaded, else the simulator's (``known``: its YAML ones
    too) by symbol."""
    defaults = {(i.category, i.symbol): i for i in (default_instruments() if known is None else known)}

    def instrument_of(ref: InstrumentRef) -> Instrument | None:
        gateway = gateways.get(ref.exchange)
        if gateway is not None:
            try:
                return gateway.instrument(ref.category, ref.symbol)
            except UnknownInstrument:
                pass
        return defaults.get((ref.category, ref.symbol))

    return instrument_of


def trading_engine(platform: Platform, gateways: Mapping[str, ExchangeGateway]) -> tuple[TradingEngine, Component]:
    """Serves ``rpc.orders`` and ``rpc.spreads``, counts funding (simulated: each spread's own, from the settlements
    of ``funding.rate.#``; real: the account's, read from the venue by the engine), retries buffered writes."""
    settings = platform.settings.spread
    engine = TradingEngine(
        SqlSpreadRepository(platform.database), platform.clock, settings,
        dict(gateways) if settings.mode == "real" else None,
    )  # fmt: skip
    subscriptions: list[Subscription] = []

    async def on_settlement(message: Message) -> None:
        await engine.on_settlement(SETTLEMENT.decode(message.payload))  # a broken one is dead-lettered

    def refuse_query(exc: MalformedPayload) -> SpreadBook:
        raise exc

    async def start() -> None:
        await engine.start()
        bus = platform.bus
        subscriptions.append(await serve(bus, ORDERS_CALL, engine.handle, engine.refuse_malformed))
        subscriptions.append(await serve(bus, SPREADS_CALL, engine.book, refuse_query))
        if settings.mode == "simulated":
            # The spreads hold no venue position: each one's funding is computed from the settlement's rate and mark.
            # (``funding.payment`` is every venue account's, none of them the spreads'.) Real mode reads its own
            # account's funding from the venue (``poll_funding``).
            subscriptions.append(
                await bus.subscribe(f"{SETTLEMENT_KIND}.#", on_settlement, queue="spread.funding_rate")
            )

    async def stop() -> None:
        for subscription in subscriptions:
            await subscription.cancel()
        subscriptions.clear()
        await engine.stop()

    def health() -> str | None:
        problems = list(engine.mismatches)
        if engine.buffered_writes:
            problems.append(f"{engine.buffered_writes} spread writes wait for the database")
        return "; ".join(problems) or None

    return engine, Component("trading-engine", start, engine.run, stop, health)


def signal_engine(platform: Platform, gateways: Mapping[str, ExchangeGateway]) -> tuple[SignalEngine, Component]:
    """Follows ``md.book.#`` and asks the trading engine over ``rpc.orders``."""
    settings = platform.settings.spread
    bus = platform.bus

    async def send(order: SpreadOrder) -> SpreadReply:
        return await request(bus, ORDERS_CALL, order, timeout=settings.request_timeout_s)

    engine = SignalEngine(
        platform.clock,
        settings,
        instruments(gateways, platform.settings.simulator.all_instruments()),
        send,
        bus=bus,
        metrics=platform.metrics,
    )

    async def start() -> None:
        book = None
        for attempt in range(_START_ATTEMPTS):
            try:
                book = await request(bus, SPREADS_CALL, SpreadQuery(open_only=True), timeout=settings.request_timeout_s)
                break
            except BusError as exc:
                log.warning("spread.trading_engine_not_answering", attempt=attempt + 1, error=str(exc))
                await asyncio.sleep(min(2.0**attempt, 10.0))
        await engine.start(list(book.spreads) if book is not None else [])

    return engine, Component("signal", start, None, engine.stop)


def spread(platform: Platform, gateways: Mapping[str, PublishingGateway]) -> SpreadParts | None:
    """Both engines in one process (``make run``); None when ``spread.enabled`` is off."""
    if not platform.settings.spread.enabled:
        return None
    ports = as_ports(gateways)
    trading, trading_component = trading_engine(platform, ports)
    signal, signal_component = signal_engine(platform, ports)
    return SpreadParts(signal, trading, [trading_component, signal_component])


def trading_engine_service(platform: Platform) -> ServiceParts:
    """``trading-engine``: answers spread orders (real mode: through the configured exchanges)."""
    components = [schema_at_head(platform)]
    gateways: dict[str, PublishingGateway] = {}
    if platform.settings.spread.mode == "real":
        gateways = publishing_gateways(platform)
        components.append(ExchangeConnections(platform, gateways, follow_orders=False, in_background=False).component())
    _engine, component = trading_engine(platform, as_ports(gateways))
    return ServiceParts([*components, _retired_queues(platform), component], (ORDERS_QUEUE,))


def _retired_queues(platform: Platform) -> Component:
    """Deletes the spread workflow's obsolete queues from the broker at start when they are empty (else warns)."""

    async def start() -> None:
        from tradewind.adapters.bus.rabbitmq_retired import RetiredQueue, retire_queues  # aio_pika: only here

        retired = tuple(RetiredQueue(name, pattern) for name, pattern in RETIRED_QUEUES)
        await retire_queues(platform.settings.distributed.bus, retired)

    return Component("retired-queues", start)


def signal_service(platform: Platform) -> ServiceParts:
    """``signal``: the books of every matching group from ``md.book``; spread orders to the trading engine."""
    _engine, component = signal_engine(platform, {})
    return ServiceParts([component])
