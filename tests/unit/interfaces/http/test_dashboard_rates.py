"""The hub's messages per second by topic kind: whole seconds of the window only, older seconds forgotten."""

from __future__ import annotations

from tradewind.interfaces.http.dashboard import Rates


def test_a_rate_averages_the_whole_seconds_of_the_window_before_now() -> None:
    rates = Rates(window_s=4)
    for at in (100.1, 100.5, 101.2, 102.9, 103.0, 103.5):
        rates.count("md.book", at)
    rates.count("signal.trade", 103.7)
    # At 103.8 the window is the seconds 99..102: four books; second 103 is still counting.
    assert rates.per_second(103.8) == {"md.book": 1.0, "signal.trade": 0.0}
    assert rates.per_second(104.0) == {"md.book": 1.5, "signal.trade": 0.25}
    assert rates.last == {"md.book": 103.5, "signal.trade": 103.7}


def test_seconds_older_than_the_window_are_forgotten() -> None:
    rates = Rates(window_s=2)
    rates.count("md.trade", 10.0)
    rates.count("md.trade", 20.0)  # ten seconds later: second 10 leaves the window
    assert rates.per_second(21.0) == {"md.trade": 0.5}
    assert rates.per_second(30.0) == {"md.trade": 0.0}
