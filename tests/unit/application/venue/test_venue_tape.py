from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.application.venue.tape import MarketTape, PublicTrade, interval_start
from tradewind.domain.values import Side

D = Decimal
MIN = 60_000
T0 = int(datetime(2026, 3, 4, 10, 0, tzinfo=UTC).timestamp() * 1000)  # a Wednesday


def _trade(n: int, ts: int, price: str, qty: str = "1") -> PublicTrade:
    return PublicTrade(n, f"t{n}", D(price), D(qty), Side.BUY, ts, n)


def _tape(*trades: tuple[int, str, str]) -> MarketTape:
    tape = MarketTape(max_minutes=10_000, max_trades=100)
    for n, (ts, price, qty) in enumerate(trades, start=1):
        tape.record(_trade(n, ts, price, qty))
    return tape


def test_one_minute_bars_carry_open_high_low_close_volume_and_turnover() -> None:
    tape = _tape((T0, "100", "1"), (T0 + 10_000, "105", "2"), (T0 + 20_000, "99", "1"), (T0 + MIN, "101", "3"))
    newest, oldest = tape.klines("1", None, None, 10)
    assert (oldest.start_ms, oldest.open, oldest.high, oldest.low, oldest.close) == (T0, 100, 105, 99, 99)
    assert (oldest.volume, oldest.turnover) == (D("4"), D("409"))
    assert (newest.start_ms, newest.open, newest.close) == (T0 + MIN, 101, 101)


def test_five_minute_bars_merge_their_minutes_newest_first() -> None:
    tape = _tape((T0, "100", "1"), (T0 + 4 * MIN, "110", "1"), (T0 + 5 * MIN, "90", "1"))
    second, first = tape.klines("5", None, None, 10)
    assert (first.start_ms, first.open, first.high, first.close, first.volume) == (T0, 100, 110, 110, 2)
    assert (second.start_ms, second.open) == (T0 + 5 * MIN, 90)


def test_start_end_and_limit_cut_the_list() -> None:
    tape = _tape(*((T0 + i * MIN, str(100 + i), "1") for i in range(10)))
    bars = tape.klines("1", T0 + 2 * MIN, T0 + 6 * MIN, 3)
    assert [b.start_ms for b in bars] == [T0 + 6 * MIN, T0 + 5 * MIN, T0 + 4 * MIN]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("D", datetime(2026, 3, 4, tzinfo=UTC)),
        ("W", datetime(2026, 3, 2, tzinfo=UTC)),  # Monday
        ("M", datetime(2026, 3, 1, tzinfo=UTC)),
        ("60", datetime(2026, 3, 4, 10, tzinfo=UTC)),
    ],
)
def test_calendar_intervals_start_where_bybit_starts_them(interval: str, expected: datetime) -> None:
    assert interval_start(interval, T0 + 17 * MIN) == int(expected.timestamp() * 1000)


def test_unknown_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval"):
        interval_start("2", T0)


def test_day_stats_cover_the_last_24_hours_only() -> None:
    day = 1_440 * MIN
    tape = _tape((T0, "100", "5"), (T0 + day - MIN, "120", "1"), (T0 + day + MIN, "110", "2"))
    stats = tape.stats(T0 + day + 2 * MIN)
    assert stats.last_price == D("110")
    assert stats.prev_price_24h == D("100")
    assert (stats.high, stats.low, stats.volume) == (D("120"), D("110"), D("3"))


def test_recent_trades_are_newest_first_and_bounded() -> None:
    tape = MarketTape(max_minutes=100, max_trades=3)
    for n in range(1, 6):
        tape.record(_trade(n, T0 + n, str(100 + n)))
    assert [t.trade_id for t in tape.recent(10)] == [5, 4, 3]
    assert [t.trade_id for t in tape.recent(2)] == [5, 4]
