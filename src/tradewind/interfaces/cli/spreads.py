"""``tradewind spreads``: the running system's spreads, exposure and PnL (through its HTTP API)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tradewind.interfaces.cli.md import API, TOKEN, _call


def spreads(
    open_only: Annotated[bool, typer.Option("--open", help="Only the spreads still open.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many spreads, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="The API's JSON instead of text lines.")] = False,
    api: str = API,
    token: str | None = TOKEN,
) -> None:
    """Open and closed spreads, exposure by instrument and realised PnL net of fees."""
    body = _call("GET", f"{api}/spreads?open_only={'true' if open_only else 'false'}&limit={limit}", token)
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    for s in body["spreads"]:
        typer.echo(
            f"{s['spread_id']}  {s['state']:<7} {s['long']} / {s['short']}  qty {s['qty']}  net {s['net_realised']}"
            f" (fees {s['fees']}, funding {s['funding']})"
        )
    exposure = body["exposure"]
    for e in exposure["instruments"]:
        typer.echo(f"exposure {e['exchange']}:{e['category']}:{e['symbol']}  {e['qty']}  ({e['notional']})")
    typer.echo(f"mode {body['mode']}  total exposure {exposure['total']}  realised net {body['realised']}")
