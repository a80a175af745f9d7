"""HTTP answers for refusals: a CommandError's kind as a status, and a validation error as a 422 that names the field.

A dependency that is down (the database, the broker) is a 503 naming it, on any route, never a 500.

Every error body is ``{"detail": "<what to change>"}`` with plain text, so a NaN or a 5,000-digit number in the
request is quoted (shortened) in the message, never echoed back as a value JSON cannot hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tradewind.application.commands import CommandError, Refusal
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.repositories import StoreUnavailable

STATUS = {
    Refusal.INVALID: 422,
    Refusal.REJECTED: 400,
    Refusal.NOT_FOUND: 404,
    Refusal.CONFLICT: 409,
    Refusal.UNAVAILABLE: 503,
    Refusal.UPSTREAM: 502,
    Refusal.UNSUPPORTED: 404,
    Refusal.FORBIDDEN: 403,
}
_SHOWN = 40
# What every refusal answers, as the OpenAPI documents it in place of FastAPI's list of pydantic errors.
REFUSAL_SCHEMA: dict[str, Any] = {
    "title": "Refusal",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}


def install_error_handlers(app: FastAPI) -> None:
    """Refusals and malformed requests answer with their status and a ``detail`` naming what to change."""

    @app.exception_handler(CommandError)
    async def refused(_request: Request, exc: CommandError) -> JSONResponse:
        if exc.refusal is Refusal.UNAVAILABLE:
            return unavailable(exc.dependency or "service", str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=STATUS[exc.refusal])

    @app.exception_handler(StoreUnavailable)
    async def database_down(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        return unavailable("database", exc.detail)

    @app.exception_handler(BusError)
    async def broker_down(_request: Request, exc: BusError) -> JSONResponse:
        return unavailable("broker", f"broker unavailable: {exc}")

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        route = request.scope.get("route")
        tags = getattr(route, "tags", None) or ["request"]
        return JSONResponse({"detail": validation_detail(exc.errors(), str(tags[0]))}, status_code=422)


def document_refusals(app: FastAPI) -> None:
    """Make the OpenAPI tell the truth about a 422: ``{"detail": "<sentence>"}`` (see ``malformed``), not a list."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = generate().get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = REFUSAL_SCHEMA
                schemas.pop("ValidationError", None)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented way to change its schema


def unavailable(dependency: str, detail: str) -> JSONResponse:
    """503 naming the dependency that is down; the client may retry (``Retry-After``)."""
    body = {"detail": detail, "dependency": dependency}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


def validation_detail(errors: Sequence[Any], noun: str) -> str:
    """One sentence per error: ``bad <noun> field 'name': message``; the input itself is quoted, not echoed."""
    parts = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        cause = (error.get("ctx") or {}).get("error")
        message = str(cause) if isinstance(cause, Exception) else str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON: {message}")
        elif loc:
            parts.append(f"bad {noun} field {'.'.join(loc)!r}: {message}{_got(error)}")
        else:
            parts.append(f"bad {noun}: {message}")
    return "; ".join(parts) or f"bad {noun}"


def _got(error: Any) -> str:
    """Pydantic's own messages do not quote the input; ours (NumberError, TwapSpecError) already do."""
    if error.get("type") in ("value_error", "missing", "extra_forbidden") or "input" not in error:
        return ""
    shown = repr(error["input"])
    return f", got {shown[:_SHOWN]}{'...' if len(shown) > _SHOWN else ''}"
