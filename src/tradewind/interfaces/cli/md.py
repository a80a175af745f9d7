"""``tradewind md subscribe|unsubscribe|list``: the market-data routes of a running system's HTTP API."""

from __future__ import annotations

import json
from typing import Any

import typer

md_app = typer.Typer(help="Market-data subscriptions of a running system (through its HTTP API).", no_args_is_help=True)
API = typer.Option("http://127.0.0.1:8000", "--api", help="Base URL of the running system's HTTP API.")
TOKEN = typer.Option(
    None,
    "--token",
    envvar="TRADEWIND_HTTP__TOKEN",
    show_default=False,
    help="The API's bearer token (http.token; the line `tradewind run` prints). Better from the environment.",
)


def _call(method: str, url: str, token: str | None, body: dict[str, Any] | None = None) -> Any:
    import urllib.error  # http.client and email load only when a verb calls the API
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        typer.echo(f"error {exc.code}: {exc.read().decode()}", err=True)
        raise typer.Exit(1) from None
    except urllib.error.URLError as exc:
        typer.echo(f"cannot reach {url}: {exc.reason}", err=True)
        raise typer.Exit(1) from None


def _body(exchange: str, category: str, symbol: str, matching_key: str) -> dict[str, Any]:
    return {"exchange": exchange, "category": category, "symbol": symbol, "matching_key": matching_key}


@md_app.command("subscribe")
def subscribe(
    exchange: str,
    category: str,
    symbol: str,
    *,
    matching_key: str = typer.Option("", "--key"),
    api: str = API,
    token: str | None = TOKEN,
) -> None:
    body = _body(exchange, category, symbol, matching_key)
    typer.echo(json.dumps(_call("POST", f"{api}/subscribe", token, body)))


@md_app.command("unsubscribe")
def unsubscribe(
    exchange: str,
    category: str,
    symbol: str,
    *,
    matching_key: str = typer.Option("", "--key"),
    api: str = API,
    token: str | None = TOKEN,
) -> None:
    body = _body(exchange, category, symbol, matching_key)
    typer.echo(json.dumps(_call("POST", f"{api}/unsubscribe", token, body)))


@md_app.command("list")
def list_subscriptions(api: str = API, token: str | None = TOKEN) -> None:
    for row in _call("GET", f"{api}/subscriptions", token):
        typer.echo(json.dumps(row))
