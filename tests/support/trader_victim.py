"""A trader consumer to be SIGKILLed mid-transaction: ``python -m tests.support.trader_victim CONFIG MARKER``.

It consumes the signal queue over RabbitMQ like ``tradewind service trader``, but its exchange gateway stops for
good right after the first order is placed (before the deal is completed) and writes MARKER, so the test can kill
it at exactly that point of the unit of work.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.settings import load_credentials
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.trading.service import TraderService
from tradewind.domain.orders import OrderIntent, OrderResult
from tradewind.settings import load_settings


async def main(config: Path, marker: Path) -> None:
    settings = load_settings(config)
    entry = settings.exchanges.entries["simsrv"]
    clock = WallClock()
    gateway = open_gateway("simsrv", entry, load_credentials("simsrv", entry), clock)
    await gateway.load_instruments()
    place = gateway.place_order

    async def place_then_hang(intent: OrderIntent) -> OrderResult:
        result = await place(intent)
        marker.write_text(intent.client_order_id)  # noqa: ASYNC240 - one small write, then it hangs for good
        await asyncio.Event().wait()  # killed here: the order is out, the deal still pending
        return result

    gateway.place_order = place_then_hang  # type: ignore[method-assign]
    bus = RabbitMqBus(settings.distributed.bus)
    await bus.start()
    service = TraderService(SqlDealRepository(Database(settings.storage.url)), {"simsrv": gateway}, bus, clock,
                            settings.trader)  # fmt: skip
    await service.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
