"""A connection's outgoing queue: a client too far behind is dropped rather than sent a stream with a gap."""

from aiohttp import web

from tradewind.interfaces.sim_exchange.ws_session import WsSession


async def test_a_client_more_than_the_queue_limit_behind_is_dropped_and_gets_nothing_more() -> None:
    session = WsSession(web.WebSocketResponse(), queue_limit=3)
    for n in range(3):
        session.send(f"m{n}")
    assert session.open
    session.send("m3")
    assert not session.open
    session.send("m4")
    assert len(session._queue) == 0  # what was queued is dropped with it: the writer closes the socket next
