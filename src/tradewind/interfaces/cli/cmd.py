"""``tradewind cmd "TEXT"``: one command of the text language, run by a running system through its ``/commands``.

The running system parses and runs it (one parser, one configuration of aliases and exchanges); this verb prints
the answer: help as text, anything else as JSON, a syntax error as the text with a caret under the column.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import typer

from tradewind.interfaces.cli.exits import BAD_CONFIGURATION, CANNOT_START, fail

_TIMEOUT_S = 30


def cmd(
    text: Annotated[str, typer.Argument(help='The command, quoted: "buy btc 80 -tsl 2.8 --dry"; "help" lists them')],
    api: Annotated[str, typer.Option(help="Base URL of the running system's HTTP API")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(envvar="TRADEWIND_HTTP__TOKEN", help="Bearer token of the HTTP API, if it asks one")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Idempotency-Key: the same key again answers the first outcome (default: new)")
    ] = None,
) -> None:
    """Run one command of the text language (docs/commands.md) on a running system."""
    headers = {"Idempotency-Key": key or f"cli-{uuid.uuid4().hex}"}
    status, answer = _post(f"{api.rstrip('/')}/commands", {"text": text}, token, headers)
    if status >= 400:
        detail = answer.get("detail") if isinstance(answer, dict) else None
        if isinstance(answer, dict) and isinstance(answer.get("column"), int):
            typer.echo(text, err=True)
            typer.echo(" " * (answer["column"] - 1) + "^", err=True)
        fail(f"error {status}: {detail or answer}", BAD_CONFIGURATION if status < 500 else CANNOT_START)
    command = answer.get("command") if isinstance(answer, dict) else None
    if isinstance(command, dict) and command.get("type") == "help":
        typer.echo(answer["outcome"]["text"])  # help reads as text
    else:
        typer.echo(json.dumps(answer, indent=2))


def _post(url: str, body: dict[str, Any], token: str | None, extra: dict[str, str]) -> tuple[int, Any]:
    import urllib.error  # http.client and email load only when a verb calls the API
    import urllib.request

    headers = {"Content-Type": "application/json", **extra}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        fail(f"cannot reach {url}: {reason}", CANNOT_START)
