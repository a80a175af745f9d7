"""``POST /commands``: a text of the command language, parsed and run on the command service.

The answer is ``{"command": <the typed command>, "outcome": <its outcome>}``; a text that is not a command is a 422
naming the column, what was expected there and the nearest known word; a refusal answers as on every other route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from tradewind.application.commands import Refusal
from tradewind.application.commands.gate import CommandGate, Submission
from tradewind.application.ports.command_journal import Receipt, ReceiptStatus
from tradewind.domain.command_access import User
from tradewind.domain.command_language import CommandSyntaxError
from tradewind.interfaces.http.errors import STATUS

TAG = "command"


class CommandText(BaseModel):
    """A command of the language, as typed: ``buy btc 80 -tsl 2.8``; ``docs/commands.md`` has the grammar."""

    model_config = ConfigDict(extra="forbid", title=TAG)

    text: str


def syntax_error_json(exc: CommandSyntaxError) -> dict[str, Any]:
    return {
        "detail": str(exc),
        "column": exc.column,
        "expected": exc.expected,
        "got": exc.got,
        "suggestion": exc.suggestion,
    }


def receipt_response(receipt: Receipt) -> JSONResponse:
    """A receipt as the route answers it: 200 done, 202 waiting for confirmation, 422 syntax, a refusal's status."""
    headers = {"Idempotent-Replayed": "true"} if receipt.repeated else None
    match receipt.status:
        case ReceiptStatus.DONE:
            body, status = {"command": receipt.command, "outcome": receipt.outcome}, 200
        case ReceiptStatus.INVALID:
            body, status = {"detail": receipt.message, **(receipt.syntax or {})}, 422
        case ReceiptStatus.PENDING:
            body, status = {"command": receipt.command, "detail": receipt.message, "confirm": receipt.code}, 202
        case ReceiptStatus.RUNNING:
            body, status = {"detail": receipt.message}, 409
        case ReceiptStatus.REFUSED:
            body, status = {"detail": receipt.message}, STATUS[Refusal(receipt.refusal or Refusal.INVALID)]
    return JSONResponse(body, status_code=status, headers=headers)


def commands_router(gate: CommandGate) -> APIRouter:
    """``POST /commands`` through the command gate (roles, confirmation, idempotency, audit); served whatever
    workflows run (help and status always work)."""
    router = APIRouter(tags=[TAG])

    @router.post("/commands", response_model=None)
    async def run(
        body: CommandText,
        request: Request,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=128)] = None,
    ) -> JSONResponse:
        """Parse the text, check the sender's role, run the command once per ``Idempotency-Key``; ``--dry`` answers
        what would be sent and changes nothing; ``close all`` and ``twap cancel`` answer 202 with a code to confirm."""
        user: User | None = getattr(request.state, "user", None)
        identity = "no token" if user is None else f"token of {user.name}"
        submission = Submission("http", identity, user, body.text, idempotency_key)
        return receipt_response(await gate.submit(submission))

    return router
