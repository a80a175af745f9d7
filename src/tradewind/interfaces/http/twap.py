"""``/twap`` routes: create, list, show, pause, resume, cancel and the execution report as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.twap.service import JobNotFound, JobTransitionError, TwapService, TwapSpecError
from tradewind.domain.twap.codec import spec_from_payload
from tradewind.interfaces.cli.twap_render import job_json, report_json


def twap_router(service: TwapService) -> APIRouter:
    """The routes over one TwapService; include with ``app.include_router(twap_router(service))``."""
    router = APIRouter(prefix="/twap", tags=["twap"])

    @router.post("", status_code=201)
    async def create(body: dict[str, Any]) -> dict[str, Any]:
        try:
            job = await service.create(spec_from_payload(body), body.get("job_id"))
        except (TwapSpecError, ExchangeError) as exc:
            raise HTTPException(422, str(exc)) from None
        return job_json(job)

    @router.get("")
    async def list_jobs() -> list[dict[str, Any]]:
        return [job_json(j) for j in await service.list()]

    @router.get("/{job_id}")
    async def show(job_id: str) -> dict[str, Any]:
        try:
            view = await service.show(job_id)
        except JobNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        log = [{"ts_ns": r.ts_ns, "level": r.level, "event": r.event, "fields": dict(r.fields)} for r in view.log]
        return {**job_json(view.job), "log": log}

    @router.get("/{job_id}/report")
    async def report(job_id: str) -> dict[str, Any]:
        try:
            return report_json(await service.report(job_id))
        except JobNotFound as exc:
            raise HTTPException(404, str(exc)) from None

    @router.post("/{job_id}/{action}")
    async def control(job_id: str, action: str) -> dict[str, Any]:
        if action not in ("pause", "resume", "cancel"):
            raise HTTPException(404, f"unknown action {action!r}: use pause, resume or cancel")
        try:
            return job_json(await getattr(service, action)(job_id))
        except JobNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except JobTransitionError as exc:
            raise HTTPException(409, str(exc)) from None

    return router
