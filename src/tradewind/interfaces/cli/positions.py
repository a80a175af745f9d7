"""``tradewind positions``, ``tradewind deals`` and ``tradewind trades``: the trader's positions, PnL and deals and
the trade objects, from a running system's HTTP API (``tradewind run``'s, or the gateway's in distributed mode), as
text or ``--json``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from tradewind.interfaces.cli.exits import BAD_CONFIGURATION, CANNOT_START, fail

_TIMEOUT_S = 30
Api = Annotated[str, typer.Option(help="Base URL of the running system's HTTP API")]
Token = Annotated[
    str | None, typer.Option(envvar="TRADEWIND_HTTP__TOKEN", help="Bearer token of the HTTP API, if it asks one")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer")]


def positions(
    *,
    api: Api = "http://127.0.0.1:8000",
    token: Token = None,
    as_json: AsJson = False,
    symbol: Annotated[str | None, typer.Option(help="With --source: the position status of this symbol")] = None,
    source: Annotated[
        str | None, typer.Option(help="With --symbol: the strategy instance (the signals' source)")
    ] = None,
    exchange: Annotated[str | None, typer.Option(help="Only this exchange")] = None,
) -> None:
    """Open positions with unrealised PnL, PnL by source and in total, differences; or one position's status."""
    if (symbol is None) != (source is None):
        fail("give --symbol and --source together (the status of one position), or neither", BAD_CONFIGURATION)
    if symbol is not None:
        query = {"symbol": symbol, "source": source, **({"exchange": exchange} if exchange else {})}
        answer = _get(api, "/positions/status", query, token)
        typer.echo(json.dumps(answer, indent=2))
        return
    answer = _get(api, "/positions", {"exchange": exchange} if exchange else {}, token)
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    from tradewind.interfaces.render.trading import positions_lines  # the domain types, only to render text

    typer.echo("\n".join(positions_lines(answer)))


def deals(
    *,
    api: Api = "http://127.0.0.1:8000",
    token: Token = None,
    as_json: AsJson = False,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    symbol: Annotated[str | None, typer.Option(help="Only this symbol")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="The newest this many")] = 50,
) -> None:
    """The trader's deals, newest first: BUYs with their levels and outcome, SELLs."""
    query: dict[str, Any] = {
        "limit": limit,
        **({"source": source} if source else {}),
        **({"symbol": symbol} if symbol else {}),
    }
    answer = _get(api, "/deals", query, token)
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    from tradewind.interfaces.render.trading import deals_lines  # the domain types, only to render text

    typer.echo("\n".join(deals_lines(answer)))


def trades(
    *,
    api: Api = "http://127.0.0.1:8000",
    token: Token = None,
    as_json: AsJson = False,
    exchange: Annotated[str | None, typer.Option(help="Only this exchange")] = None,
    closed: Annotated[bool, typer.Option("--all", help="The newest closed trades too")] = False,
) -> None:
    """The ongoing trades of `buy`/`sell`: side, quantity, entry, best price since entry, risk strategies."""
    query = {**({"exchange": exchange} if exchange else {}), **({"all": "true"} if closed else {})}
    answer = _get(api, "/trades", query, token)
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    from tradewind.interfaces.render.trading import trades_lines  # the domain types, only to render text

    typer.echo("\n".join(trades_lines(answer)))


def _get(api: str, path: str, query: dict[str, Any], token: str | None) -> Any:
    import urllib.error  # http.client and email load only when a verb calls the API
    import urllib.parse
    import urllib.request

    url = f"{api.rstrip('/')}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, method="GET", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode(errors="replace")
        try:
            detail = json.loads(raw).get("detail", raw)
        except (ValueError, AttributeError):
            detail = raw
        fail(f"error {exc.code}: {detail}", BAD_CONFIGURATION if exc.code < 500 else CANNOT_START)
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        fail(f"cannot reach {url}: {reason}", CANNOT_START)
