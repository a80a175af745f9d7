"""``/twap`` routes: create, list, show, pause, resume, cancel and the execution report, over the command service."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tradewind.application.commands import CommandService
from tradewind.domain.commands import (
    ArchiveTwap,
    CancelTwap,
    ControlTwap,
    CreateTwap,
    InputLimits,
    ListTwaps,
    PauseTwap,
    ResumeTwap,
    ShowTwap,
    TwapReport,
)
from tradewind.domain.numbers import parse_decimal, parse_int
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, twap_job_id
from tradewind.domain.values import Category, Side
from tradewind.interfaces.render.twap import job_json, job_view_json, report_json

TAG = "TWAP job"  # names the body in 422 messages ("bad TWAP job field 'quantity': ...")
_CONTROLS: dict[str, type[ControlTwap]] = {
    "pause": PauseTwap,
    "resume": ResumeTwap,
    "cancel": CancelTwap,
    "archive": ArchiveTwap,
}


def _decimal(field: str, limits: InputLimits) -> Callable[[object], Decimal | None]:
    return lambda raw: None if raw is None else parse_decimal(raw, field, limits.numbers)


def _whole(field: str, low: int, high: int) -> Callable[[object], int | None]:
    return lambda raw: None if raw is None else parse_int(raw, field, low=low, high=high)


def _side(raw: object) -> object:
    return raw.capitalize() if isinstance(raw, str) else raw  # "buy" and "BUY" are Buy, as the CLI takes them


def _job_id(raw: object) -> object:
    return twap_job_id(raw) if isinstance(raw, str) else raw


class TwapBody(BaseModel):
    """The shape every ``POST /twap`` body model shares; ``twap_body`` adds the fields with the configured limits."""

    def command(self) -> CreateTwap:
        return CreateTwap(**self.model_dump())


def twap_body(limits: InputLimits) -> type[TwapBody]:
    """The ``POST /twap`` body; numbers go through the one number parser with the configured ``limits``."""
    most_s = limits.max_runtime_s

    def dec(field: str) -> BeforeValidator:
        return BeforeValidator(_decimal(field, limits))

    def whole(field: str, low: int, high: int) -> BeforeValidator:
        return BeforeValidator(_whole(field, low, high))

    class TwapJobBody(TwapBody):
        """A TWAP job: ``interval_s`` (seconds between slices) may stand in for ``slices``; numbers may be strings."""

        model_config = ConfigDict(extra="forbid", title=TAG)

        exchange: Annotated[str | None, Field(min_length=1, max_length=32)] = None
        category: Category = Category.SPOT
        symbol: Annotated[str, Field(min_length=1, max_length=64)]
        side: Annotated[Side, BeforeValidator(_side)]
        runtime_s: Annotated[int, whole("runtime_s", 1, most_s)]
        slices: Annotated[int | None, whole("slices", 1, limits.max_slices)] = None
        interval_s: Annotated[int | None, whole("interval_s", 1, most_s)] = None
        quantity: Annotated[Decimal | None, dec("quantity")] = None
        notional: Annotated[Decimal | None, dec("notional")] = None
        limit_price: Annotated[Decimal | None, dec("limit_price")] = None
        limit_policy: LimitPolicy = LimitPolicy.STOP
        catch_up: CatchUpPolicy = CatchUpPolicy.CATCH_UP
        order_style: OrderStyle = OrderStyle.MARKET
        max_slippage_bps: Annotated[Decimal, dec("max_slippage_bps")] = Decimal(50)
        size_jitter: Annotated[Decimal, dec("size_jitter")] = Decimal(0)
        time_jitter: Annotated[Decimal, dec("time_jitter")] = Decimal(0)
        seed: Annotated[int, whole("seed", 0, limits.max_seed)] = 0
        job_id: Annotated[str | None, BeforeValidator(_job_id)] = None

        @model_validator(mode="before")
        @classmethod
        def _known_fields(cls, data: Any) -> Any:
            # Before the fields, so a misspelt "qty" is named as such rather than as a missing quantity.
            if isinstance(data, dict):
                unknown = sorted(set(data) - set(cls.model_fields))
                if unknown:
                    raise ValueError(f"unknown field(s) {unknown}; known fields: {sorted(cls.model_fields)}")
            return data

    return TwapJobBody


def twap_router(commands: CommandService) -> APIRouter:
    """The routes over the command service; a job that names no ``exchange`` goes to the configured default."""
    router = APIRouter(prefix="/twap", tags=[TAG])
    body_model = twap_body(commands.limits)

    async def create(body: TwapBody) -> dict[str, Any]:
        return job_json(await commands.create_twap(body.command()))

    # The model is built per app from the configured limits, so FastAPI must see that class, not the base.
    create.__annotations__["body"] = body_model
    router.add_api_route("", create, methods=["POST"], status_code=201, summary="Create a TWAP job")

    @router.get("")
    async def list_jobs(archived: bool = False) -> list[dict[str, Any]]:
        """Every job; archived ones too with ``?archived=true``."""
        return [job_json(j) for j in await commands.list_twaps(ListTwaps(archived=archived))]

    @router.get("/{job_id}")
    async def show(job_id: str) -> dict[str, Any]:
        return job_view_json(await commands.show_twap(ShowTwap(job_id)))

    @router.get("/{job_id}/report")
    async def report(job_id: str) -> dict[str, Any]:
        result = await commands.twap_report(TwapReport(job_id))
        return report_json(result, (await commands.show_twap(ShowTwap(job_id))).job)

    @router.post("/{job_id}/{action}")
    async def control(job_id: str, action: str) -> dict[str, Any]:
        command = _CONTROLS.get(action)
        if command is None:
            raise HTTPException(404, f"unknown action {action!r}: use pause, resume, cancel or archive")
        return job_json(await commands.control_twap(command(job_id)))

    return router
