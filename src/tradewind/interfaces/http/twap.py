"""``/twap`` routes: create, list, show, pause, resume, cancel and the execution report as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.twap.service import JobNotFound, JobTransitionError, TwapService, TwapSpecError
from tradewind.domain.twap.codec import spec_from_payload
from tradewind.domain.twap.spec import TwapSpec, slices_for
from tradewind.interfaces.cli.twap_render import job_json, report_json


def _spec(body: dict[str, Any]) -> TwapSpec:
    """The job from the request body; ``interval_s`` (seconds between slices) may stand in for ``slices``."""
    payload = {k: v for k, v in body.items() if k not in ("interval_s", "job_id")}  # not part of the spec
    if body.get("interval_s") is None:
        return spec_from_payload(payload)
    try:
        runtime, interval = int(body["runtime_s"]), int(body["interval_s"])
    except KeyError as exc:
        raise TwapSpecError(f"missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError):
        raise TwapSpecError("runtime_s and interval_s must be whole numbers of seconds") from None
    if body.get("slices") is not None:
        raise TwapSpecError("give either interval_s or slices, not both")
    return spec_from_payload({**payload, "slices": slices_for(runtime, interval_s=interval)})


def twap_router(service: TwapService, default_exchange: str | None = None) -> APIRouter:
    """The routes over one TwapService; a job that names no ``exchange`` goes to ``default_exchange``."""
    router = APIRouter(prefix="/twap", tags=["twap"])

    @router.post("", status_code=201)
    async def create(body: dict[str, Any]) -> dict[str, Any]:
        if body.get("exchange") is None and default_exchange is not None:
            body = {**body, "exchange": default_exchange}
        try:
            job_id = body.get("job_id")
            job = await service.create(_spec(body), None if job_id is None else str(job_id))
        except TwapSpecError as exc:
            raise HTTPException(422, str(exc)) from None
        except ExchangeError as exc:  # the exchange could not be asked for the instrument or price: not the input
            raise HTTPException(502, f"exchange error, nothing stored: {exc}") from None
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
        if action not in ("pause", "resume", "cancel", "archive"):
            raise HTTPException(404, f"unknown action {action!r}: use pause, resume, cancel or archive")
        try:
            return job_json(await getattr(service, action)(job_id))
        except JobNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except JobTransitionError as exc:
            raise HTTPException(409, str(exc)) from None

    return router
