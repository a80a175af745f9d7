"""The command service's trade commands: sent to the trade desk as `cmd.trade.<exchange>` requests; its trades or its
refusal come back; a desk that does not answer is UNAVAILABLE (the outcome unknown), never a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.fakes.exchange import FakeExchange
from tests.fakes.trades import FakeTrades
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.commands import CommandError, CommandService, Refusal, TradeList
from tradewind.application.ports.bus import Message
from tradewind.application.trading.trade_client import TradeClient
from tradewind.application.trading.trades import TradeDesk
from tradewind.domain.commands import CloseAll, CloseTrade, DryRun, ListTrades, OpenTrade
from tradewind.domain.trading.trades import TradeStatus
from tradewind.domain.values import Side

D = Decimal


@dataclass
class World:
    bus: InMemoryBus
    service: CommandService
    exchange: FakeExchange


@pytest.fixture
async def world() -> AsyncIterator[World]:
    bus = InMemoryBus()
    await bus.start()
    exchange = FakeExchange("fake")
    desk = TradeDesk(FakeTrades(), {"fake": exchange}, bus, SimClock())
    await desk.start()
    yield World(bus, CommandService(default_exchange="fake", trades=TradeClient(bus, timeout_s=2)), exchange)
    await desk.stop()
    await bus.close()


async def test_buy_on_the_default_exchange_opens_a_trade_and_trades_lists_it(world: World) -> None:
    opened = await world.service.execute(OpenTrade(Side.BUY, "BTCUSDT", D(100), trailing_stop_pct=D("2.8")))
    assert isinstance(opened, TradeList)
    (trade,) = opened.trades
    assert (trade.exchange, trade.status, trade.risk) == ("fake", TradeStatus.OPEN, {"trailing_stop": D("2.8")})
    assert await world.service.execute(ListTrades()) == TradeList((trade,))
    assert await world.service.execute(ListTrades("other")) == TradeList(())
    closed = await world.service.execute(CloseAll())
    assert isinstance(closed, TradeList) and closed.trades[0].close_reason == "manual"


async def test_the_desks_refusal_is_rejected_and_bad_numbers_never_reach_it(world: World) -> None:
    with pytest.raises(CommandError) as refused:
        await world.service.execute(CloseTrade("BTCUSDT"))
    assert refused.value.refusal is Refusal.REJECTED and "no open trade of BTCUSDT" in str(refused.value)
    with pytest.raises(CommandError) as invalid:
        await world.service.execute(OpenTrade(Side.BUY, "BTCUSDT", D(100), trailing_stop_pct=D(100)))
    assert invalid.value.refusal is Refusal.INVALID and world.exchange.placed == []


async def test_dry_sends_nothing(world: World) -> None:
    await world.service.execute(DryRun(OpenTrade(Side.BUY, "BTCUSDT", D(100))))
    assert world.exchange.placed == [] and await world.service.execute(ListTrades()) == TradeList(())


async def test_a_desk_that_does_not_answer_is_unavailable() -> None:
    bus = InMemoryBus()
    await bus.start()
    service = CommandService(default_exchange="fake", trades=TradeClient(bus, timeout_s=0.05))
    for command in (OpenTrade(Side.BUY, "BTCUSDT", D(100)), ListTrades()):
        with pytest.raises(CommandError) as down:
            await service.execute(command)
        assert down.value.refusal is Refusal.UNAVAILABLE and "did not answer" in str(down.value)

    async def garbled(_message: Message) -> dict[str, object]:
        return {"trades": "not a list"}

    await bus.serve("cmd.trade.#", garbled)
    with pytest.raises(CommandError) as unreadable:
        await service.execute(OpenTrade(Side.BUY, "BTCUSDT", D(100)))
    assert unreadable.value.refusal is Refusal.UNAVAILABLE
    await bus.close()


async def test_a_malformed_command_on_the_bus_is_answered_not_dead_lettered(world: World) -> None:
    reply = await world.bus.request("cmd.trade.fake", {"action": "open", "ticker": "BTCUSDT"}, timeout=2)
    assert reply["trades"] == [] and "malformed trade command" in str(reply["error"])
