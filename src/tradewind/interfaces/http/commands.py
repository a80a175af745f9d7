"""``POST /commands``: a text of the command language, parsed and run on the command service.

The answer is ``{"command": <the typed command>, "outcome": <its outcome>}``; a text that is not a command is a 422
naming the column, what was expected there and the nearest known word; a refusal answers as on every other route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from tradewind.application.commands import CommandService
from tradewind.domain.command_language import CommandSyntaxError, parse_command
from tradewind.domain.commands import ShowTwap, TwapReport
from tradewind.interfaces.render.commands import command_json, outcome_json

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


def commands_router(commands: CommandService) -> APIRouter:
    """``POST /commands`` over the command service; served whatever workflows run (help and status always work)."""
    router = APIRouter(tags=[TAG])

    @router.post("/commands", response_model=None)
    async def run(body: CommandText) -> JSONResponse:
        """Parse the text, run the command; ``--dry`` answers what would be sent and changes nothing."""
        try:
            command = parse_command(body.text, commands.language)
        except CommandSyntaxError as exc:
            return JSONResponse(syntax_error_json(exc), status_code=422)
        outcome = await commands.execute(command)
        job = None
        if isinstance(command, TwapReport):  # the report prints at its job's tick size and lot step
            job = (await commands.show_twap(ShowTwap(command.job_id))).job
        return JSONResponse({"command": command_json(command), "outcome": outcome_json(outcome, job)})

    return router
