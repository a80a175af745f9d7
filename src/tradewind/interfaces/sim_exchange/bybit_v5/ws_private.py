"""The private stream (``/v5/private``): ``auth``, then the ``order``, ``execution``, ``position``, ``wallet`` topics.

The venue calls ``on_events`` once per operation with that operation's events; each authenticated
connection of an affected account gets one message per subscribed topic, in Bybit's order (executions,
orders, positions, wallet). Rows are the REST rows plus the fields the topics add. No snapshot is sent
on subscribe, as on Bybit.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from tradewind.application.venue import (
    ExecutionEvent,
    OrderEvent,
    PositionEvent,
    SimVenue,
    VenueEvent,
    WalletEvent,
)
from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import fmt
from tradewind.interfaces.sim_exchange.bybit_v5.auth import signature
from tradewind.interfaces.sim_exchange.bybit_v5.render import (
    execution_row,
    market_unit,
    order_row,
    position_row,
    wallet_row,
)
from tradewind.interfaces.sim_exchange.bybit_v5.ws_protocol import StreamKind, WsRequest, ack
from tradewind.interfaces.sim_exchange.bybit_v5.ws_session import BybitSession
from tradewind.interfaces.sim_exchange.faults import FaultKind, FaultPlan
from tradewind.interfaces.sim_exchange.faults.settings import LateReportParams
from tradewind.interfaces.sim_exchange.ws_session import encode

log = structlog.get_logger(__name__)

KINDS = ("execution", "order", "position", "wallet")  # Bybit's order of messages within one operation
TOPICS = frozenset(
    {*KINDS, "execution.spot", "execution.linear", "order.spot", "order.linear", "position.linear"}
)  # fmt: skip
AUTH_PATH = b"GET/realtime"


def auth_signature(secret: str, expires: int | str) -> str:
    """What a client sends as the third ``auth`` argument (tests and benchmarks use it)."""
    return signature(secret.encode(), AUTH_PATH + str(expires).encode())


class PrivateHub:
    """Authenticated connections by account, and the venue listener that feeds them."""

    kind = StreamKind.PRIVATE

    def __init__(self, venue: SimVenue, auth_max_ahead_ms: int = 60_000, faults: FaultPlan | None = None) -> None:
        self._venue = venue
        self._faults = faults if faults is not None else FaultPlan()
        self._max_ahead_ms = auth_max_ahead_ms
        self._by_account: dict[str, set[BybitSession]] = {}
        self.sessions: set[BybitSession] = set()
        # Listening only while someone is authenticated: with a listener the venue builds position and
        # wallet views on every operation, which REST-only use should not pay for.
        self._detach: Callable[[], None] | None = None

    # --- Channel ----------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return self._venue.clock.now_ms()

    def connect(self, session: BybitSession) -> None:
        self.sessions.add(session)

    def disconnect(self, session: BybitSession) -> None:
        self.sessions.discard(session)
        if session.api_key is None:
            return
        same_account = self._by_account.get(session.api_key, set())
        same_account.discard(session)
        if not same_account:
            self._by_account.pop(session.api_key, None)
        if not self._by_account and self._detach is not None:
            self._detach()
            self._detach = None

    def handle(self, session: BybitSession, request: WsRequest) -> None:
        if request.op == "auth":
            error = self._auth(session, request.args)
            reply = ack(self.kind, session.conn_id, request, error=error)
            if error is not None:  # ccxt.pro raises AuthenticationError when it sees the request echoed
                reply["request"] = {"op": "auth", "args": list(request.args)}
            session.send_json(reply)
            return
        if request.op == "subscribe":
            error = self._check_subscribe(session, request.args)
        else:
            error = self._check_unsubscribe(session, request.args)
        if error is None:
            topics = {t for t in request.args if isinstance(t, str)}
            if request.op == "subscribe":
                session.topics |= topics
            else:
                session.topics -= topics
        session.send_json(ack(self.kind, session.conn_id, request, error=error))

    # --- queries and lifecycle --------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        """Whether the hub is subscribed to the venue's events (only while a connection is authenticated)."""
        return self._detach is not None

    def subscribers(self, api_key: str, topic: str) -> int:
        return sum(1 for s in self._by_account.get(api_key, ()) if topic in s.topics)

    async def close(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None
        await asyncio.gather(*(s.close() for s in list(self.sessions)), return_exceptions=True)

    # --- requests ---------------------------------------------------------------------------------

    def _auth(self, session: BybitSession, args: tuple[Any, ...]) -> str | None:
        if session.api_key is not None:
            return f"error:already authed as {session.api_key}"
        if len(args) != 3:
            return f"Params Error: auth args are [apiKey, expires, signature], got {len(args)} values"
        api_key, expires, sign = args
        if not isinstance(api_key, str) or not isinstance(sign, str):
            return "Params Error: apiKey and signature must be strings"
        digits = isinstance(expires, str) and expires.isascii() and expires.isdigit() and len(expires) <= 15
        if isinstance(expires, bool) or not (isinstance(expires, int) or digits):
            return f"Params Error: expires must be epoch ms, an integer or a string of digits, got {expires!r:.40}"
        now_ms = self.now_ms()
        if int(expires) <= now_ms:
            return f"Params Error: request expired: expires {expires} is not after server time {now_ms}"
        if int(expires) > now_ms + self._max_ahead_ms:
            return (
                f"Params Error: expires {expires} is more than {self._max_ahead_ms} ms after server time {now_ms}; "
                "sign a fresh expires a few seconds ahead"
            )
        account = self._venue.account(api_key)
        if account is None:
            return f"error:API key is invalid: unknown api key {api_key}"
        expected = signature(account.secret, AUTH_PATH + str(expires).encode())
        if not hmac.compare_digest(expected, sign.lower()):
            return f"error:signature verification failed: expected hex HMAC_SHA256(secret, 'GET/realtime{expires}')"
        session.api_key = api_key
        self._by_account.setdefault(api_key, set()).add(session)
        if self._detach is None:
            self._detach = self._venue.subscribe(self.on_events)
        return None

    def _check_subscribe(self, session: BybitSession, args: tuple[Any, ...]) -> str | None:
        error = _check_args(args)
        if error is not None:
            return error
        if session.api_key is None:
            return f"error:not authenticated: send op auth before subscribing to {', '.join(args)}"
        for topic in args:
            if topic not in TOPICS:
                return f"error:handler not found,topic:{topic}"
            if topic in session.topics:
                return f"error:already subscribed,topic:{topic}"
        kinds = [t.partition(".")[0] for t in args]
        for kind in KINDS:
            if kind in args and kinds.count(kind) > 1:
                return f"error:{kind} and its per-category topics cannot be subscribed in one request"
        return None

    def _check_unsubscribe(self, session: BybitSession, args: tuple[Any, ...]) -> str | None:
        error = _check_args(args)
        if error is not None:
            return error
        for topic in args:
            if topic not in session.topics:
                return f"error:not subscribed,topic:{topic}"
        return None

    # --- events -----------------------------------------------------------------------------------

    def on_events(self, events: Sequence[VenueEvent]) -> None:
        """The venue's listener: route one operation's events to the connections of the accounts concerned."""
        if not self._by_account:
            return
        try:
            by_account: dict[str, list[VenueEvent]] = {}
            for event in events:
                by_account.setdefault(event.account, []).append(event)
            for api_key, account_events in by_account.items():
                sessions = [s for s in self._by_account.get(api_key, ()) if s.topics]
                if not sessions:
                    continue
                wanted: set[str] = set().union(*(s.topics for s in sessions))
                for topic, text in self._messages(account_events, wanted):
                    delay_s = self._late_by(api_key, topic)
                    for session in sessions:
                        if topic not in session.topics:
                            continue
                        if delay_s:
                            session.send_after(text, delay_s)
                        else:
                            session.send(text)
        except Exception:  # a stream bug must never fail the venue operation that fed it
            log.exception("bybit_ws.private_events_error")

    def _late_by(self, api_key: str, topic: str) -> float:
        """Seconds a ``late_report`` fault holds this account's message on ``topic`` back (0: none)."""
        if not self._faults.has_any((FaultKind.LATE_REPORT,)):
            return 0.0
        hit = self._faults.first(FaultKind.LATE_REPORT, account=api_key, route=topic, now_ms=self.now_ms())
        return hit.params.delay_ms / 1000 if hit is not None and isinstance(hit.params, LateReportParams) else 0.0

    def _messages(self, events: Sequence[VenueEvent], wanted: set[str]) -> list[tuple[str, str]]:
        rows: dict[str, list[tuple[Category | None, dict[str, Any]]]] = {kind: [] for kind in KINDS}
        for event in events:
            if isinstance(event, ExecutionEvent):
                rows["execution"].append((event.execution.category, _execution(event)))
            elif isinstance(event, OrderEvent):
                rows["order"].append((event.order.category, _order(event)))
            elif isinstance(event, PositionEvent):
                rows["position"].append((Category.LINEAR, _position(event)))
            elif isinstance(event, WalletEvent):
                rows["wallet"].append((None, _wallet(event)))
        now_ms = self.now_ms()
        out = []
        for topic in sorted(wanted, key=lambda t: (KINDS.index(t.partition(".")[0]), t)):
            kind, _, category = topic.partition(".")
            data = [row for cat, row in rows[kind] if not category or (cat is not None and cat.value == category)]
            if data:
                message = {"id": str(uuid.uuid4()), "topic": topic, "creationTime": now_ms, "data": data}
                out.append((topic, encode(message)))
        return out


def _check_args(args: tuple[Any, ...]) -> str | None:
    if not args:
        return "error:args is empty: name at least one topic"
    bad = next((t for t in args if not isinstance(t, str)), None)
    if bad is not None:
        return f"error:topics must be strings, got {bad!r}"
    if len(set(args)) != len(args):
        return "error:a topic is repeated in args"
    return None


def _execution(event: ExecutionEvent) -> dict[str, Any]:
    e = event.execution
    row = execution_row(e)
    row.update(
        category=e.category.value,
        isLeverage="0" if e.category is Category.SPOT else "",
        marketUnit=market_unit(e.market_unit),
    )
    return row


def _order(event: OrderEvent) -> dict[str, Any]:
    o = event.order
    row = order_row(o)
    if o.category is Category.SPOT:
        del row["tpslMode"]  # Bybit's spot rows have none; ccxt.pro reads its presence as "a contract order"
    row.update(
        category=o.category.value,
        closedPnl="0",
        feeCurrency=o.fee_coin if o.category is Category.SPOT else "",
    )
    return row


def _position(event: PositionEvent) -> dict[str, Any]:
    p = event.position
    row = position_row(p)
    row.update(category=Category.LINEAR.value, entryPrice=fmt(p.avg_price))
    return row


def _wallet(event: WalletEvent) -> dict[str, Any]:
    w = event.wallet
    coins = [c for c in w.coins if c.balance or c.locked or c.position_im or c.order_im]
    return wallet_row(w, coins)
