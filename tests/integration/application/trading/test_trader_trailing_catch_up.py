"""The trader's trailing stop catches up at its restart on what the market printed while it was down: the venue's
one-minute candles (through the real gateways) raise the best price to their high, and a retreat to the level since
closes the deal at market; a venue refusing its candles costs a warning, not the start, and the live ratchet goes on."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp

from tests.support.bybit_server import Served
from tests.support.faults import put_faults
from tests.support.logs import captured_logs
from tests.support.signals import signal
from tests.support.venue_rig import VenueRig as Rig
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.messages.market import TRADE
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.application.venue import OrderRequest, VenueOrderStatus
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.trading.deals import Deal, DealStatus
from tradewind.domain.values import Category, OrderType, Side

D = Decimal
LINEAR = Category.LINEAR
TRAILING = TraderSettings(trailing_stop_pct=D("1"))
_trade_ids = itertools.count(1)


async def printed(
    rig: Rig, price: str, side: Side = Side.SELL, *, published: bool = False, category: Category = LINEAR
) -> str:
    """A minute later another account trades BTCUSDT at ``price`` on the venue (its resting order left there for a
    close); ``published``: the trade goes out on ``md.trade`` too, as while the trader runs. The print's minute, as a
    late close's note names it."""
    await rig.clock.advance(60)
    rig.venue.cancel_all("trader-2", category, "BTCUSDT")  # the earlier prints' depth: each print stands alone
    rig.trade_at(price, side, category=category)
    if published:
        ref = InstrumentRef("sim", category, "BTCUSDT", "BTCUSDT")
        tick = TradeTick(ref, f"c{next(_trade_ids)}", D(price), D("0.01"), side, rig.clock.now_ns())
        await rig.bus.publish(f"md.trade.sim.{category.value}.BTCUSDT", TRADE.encode(tick))
    return datetime.fromtimestamp(rig.clock.now_ms() // 60_000 * 60, UTC).strftime("%Y-%m-%d %H:%M")


async def stored(database: Database, exchange: str, deal: Deal) -> Deal:
    found = await SqlDealRepository(database).by_client_order_id(exchange, deal.client_order_id)
    assert found is not None
    return found


async def opened(trader: TraderService, exchange: str = "sim") -> Deal:
    """Long 0.016 BTCUSDT at 60010, its TP (61810.3) and SL (58809.8) on the venue, trailing 1 % here."""
    handled = await trader.handle(signal(exchange=exchange, sid="b1", price="60000", amount="1000"))
    assert handled.outcome is Outcome.OPENED and handled.deal is not None
    assert handled.deal.price == D("60010")
    return handled.deal


async def test_a_rise_while_down_raises_the_best_to_its_high_and_the_live_ratchet_goes_on_from_there(rig: Rig) -> None:
    first = rig.trader(TRAILING)
    await first.start()
    deal = await opened(first)
    await printed(rig, "60500", Side.BUY, published=True)  # seen live: the best from which the restart reads on
    await eventually(lambda: stored(rig.database, "sim", deal), lambda d: d.best_price == D("60500"))
    await first.stop()

    await printed(rig, "61500", Side.BUY)  # while the trader is down: level 61500 x 0.99 = 60885
    await printed(rig, "61000")  # fell back, but not to the level
    second = rig.trader(TRAILING)
    await second.start()
    now = await stored(rig.database, "sim", deal)
    assert (now.status, now.best_price) == (DealStatus.OPEN, D("61500"))
    assert now.best_ns is not None and now.best_ns % 60_000_000_000 == 0  # the minute of the high (a candle's start)
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016") and second.differences == []

    await printed(rig, "60885", published=True)  # the level of the high printed while down
    await wait_for(lambda: second.watched == [])
    closed = await stored(rig.database, "sim", deal)
    assert (closed.trailing_stop_hit, closed.close_price) == (True, D("60885"))
    await second.stop()


async def test_a_rise_and_a_retreat_to_the_level_while_down_close_the_deal_at_the_restart(rig: Rig) -> None:
    first = rig.trader(TRAILING)
    await first.start()
    deal = await opened(first)
    await first.stop()
    await printed(rig, "61500", Side.BUY)
    await printed(rig, "60800")  # through 60885, the level of 61500; its bid is left for the close

    second = rig.trader(TRAILING)
    await second.start()  # decided at the start, with no trade published since
    closed = await stored(rig.database, "sim", deal)
    assert (closed.status, closed.trailing_stop_hit, closed.stop_loss_hit, closed.take_profit_hit) == (
        DealStatus.CLOSED, True, False, False,
    )  # fmt: skip
    assert (closed.best_price, closed.close_price) == (D("61500"), D("60800"))
    assert second.watched == [] and rig.venue.position_view("trader-1", "BTCUSDT").size == 0
    account = rig.venue.account("trader-1")
    assert account is not None  # its exchange pair cancelled before the close, as a live trailing stop does
    assert {account.find_order(i).status for i in (deal.tp_order_id, deal.sl_order_id)} == {  # type: ignore[union-attr]
        VenueOrderStatus.CANCELLED
    }
    await second.stop()


def simsrv_trader(
    database: Database, gateway: CcxtGateway, bus: InMemoryBus, settings: TraderSettings | None = None
) -> TraderService:
    """A trader of the Bybit face's account through ccxt (exchange ``simsrv``), on wall time."""
    return TraderService(SqlDealRepository(database), {"simsrv": gateway}, bus, WallClock(), settings)


async def candles_refused(sim_server: Served) -> None:
    """The Bybit face answers its kline route with maintenance from now on."""
    async with aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, [{"kind": "maintenance", "route": "/v5/market/kline"}])


async def live(bus: InMemoryBus, price: str) -> None:
    """A trade of the Bybit face's BTCUSDT on ``md.trade``, as the market-data side publishes it."""
    ref = InstrumentRef("simsrv", LINEAR, "BTCUSDT", "BTCUSDT")
    tick = TradeTick(ref, f"r{next(_trade_ids)}", D(price), D("0.01"), Side.SELL, WallClock().now_ns())
    await bus.publish("md.trade.simsrv.linear.BTCUSDT", TRADE.encode(tick))


async def test_a_venue_refusing_its_candles_is_one_warning_per_deal_and_the_live_ratchet_goes_on(
    gateway: CcxtGateway, sim_server: Served, database: Database
) -> None:
    bus = InMemoryBus()
    await bus.start()
    first = simsrv_trader(database, gateway, bus, TRAILING)
    deal = await opened(first, "simsrv")
    await first.stop()  # it follows the deal's trades since it opened it
    await candles_refused(sim_server)

    second = simsrv_trader(database, gateway, bus, TRAILING)
    with captured_logs() as logs:
        await second.start()  # the candles refused: started all the same
        (warning,) = [e for e in logs if e["event"] == "trader.not_caught_up"]
        assert (warning["log_level"], warning["deal"]) == ("warning", deal.id)
        await second.catch_up()  # asked again: still refused, not warned again
    assert [e for e in logs if e["event"] == "trader.not_caught_up"] == [warning]
    assert [p.deal.id for p in second.watched] == [deal.id]

    await live(bus, "61000")
    await eventually(lambda: stored(database, "simsrv", deal), lambda d: d.best_price == D("61000"))
    venue = sim_server.venue  # the bid a close sells into, at the level of 61000 (60390)
    venue.cancel_all("maker", LINEAR, "BTCUSDT")
    venue.place_order("trader-2", OrderRequest(LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), D("60390")))
    await live(bus, "60390")
    await wait_for(lambda: second.watched == [])
    closed = await stored(database, "simsrv", deal)
    assert (closed.trailing_stop_hit, closed.best_price, closed.close_price) == (True, D("61000"), D("60390"))
    await second.stop()
    await bus.close()
