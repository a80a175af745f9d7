"""The trade desk as the distributed system runs it: trade commands as `cmd.trade.<exchange>` requests over RabbitMQ,
trades in the database, on the simulated venue; a restarted desk answers for the trades of the one before; each open
and close is announced once on `trade.event.<kind>`."""

from __future__ import annotations

from decimal import Decimal

from tests.support.bus import collector
from tests.support.bybit_server import seeded_venue
from tests.support.waiting import wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository
from tradewind.application.messages.trade_events import TRADE_EVENT
from tradewind.application.trading.trade_client import TradeClient
from tradewind.application.trading.trades import TradeDesk
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.commands import CloseTrade, OpenTrade
from tradewind.domain.trading.trades import TradeStatus
from tradewind.domain.values import Side

D = Decimal


async def test_commands_over_rabbitmq_open_list_and_close_across_a_restart(
    rabbit_bus: RabbitMqBus, sqlite_database: Database
) -> None:
    clock = SimClock()
    venue = seeded_venue(clock)  # best ask 60010, best bid 59990
    gateway = SimGateway(venue, "trader-1", "sim")

    def desk() -> TradeDesk:
        return TradeDesk(SqlTradeRepository(sqlite_database), {"sim": gateway}, rabbit_bus, clock)

    announced, on_event = collector()
    events = await rabbit_bus.subscribe("trade.event.#", on_event)
    first = desk()
    await first.start()
    client = TradeClient(rabbit_bus, timeout_s=20)
    buy = OpenTrade(Side.BUY, "BTCUSDT", D(120), exchange="sim", stop_loss_pct=D(2))
    answer = await client.submit(TradeCommandEvent(buy, key="r1"))
    assert answer.error == "", answer
    (trade,) = answer.trades
    assert (trade.status, trade.entry_price, trade.risk) == (TradeStatus.OPEN, D(60010), {"stop_loss": D(2)})
    repeated = await client.submit(TradeCommandEvent(buy, key="r1"))  # a redelivered command: the same trade
    assert repeated.trades == (trade,)
    refused = await client.submit(TradeCommandEvent(OpenTrade(Side.BUY, "BTCUSDT", D(1), exchange="nope"), key="r2"))
    assert refused.error.startswith("no exchange 'nope'") and refused.trades == ()
    await first.stop()

    second = desk()  # a new trader process: reconciles the stored trade, then serves the same topic
    await second.start()
    assert [t.key for t in (await client.trades()).trades] == ["r1"]
    (closed,) = (await client.submit(TradeCommandEvent(CloseTrade("BTCUSDT", "sim")))).trades
    assert (closed.status, closed.close_reason, closed.close_price) == (TradeStatus.CLOSED, "manual", D(59990))
    assert (await client.trades()).trades == ()
    account = venue.account("trader-1")
    assert account is not None
    links = [o.order_link_id for o in [*account.history, *account.open_orders.values()]]
    assert sorted(links) == sorted([trade.entry_order_id, trade.exit_order_id])  # one entry, one exit: no resend
    await second.stop()
    # The redelivered command and the restart announced nothing again: one open, one close, in that order.
    await wait_for(lambda: len(announced) >= 2)
    assert [m.topic for m in announced] == ["trade.event.opened", "trade.event.closed"]
    closing = TRADE_EVENT.decode(announced[1].payload)
    assert (closing.id, closing.reason, closing.exit_price, closing.pnl) == (trade.id, "manual", D(59990), closed.pnl())
    await events.cancel()
