"""The TWAP services' messages: ``twap.command`` (a job changed), ``twap.slice`` (run this slice), ``twap.event``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradewind.application.messages.codec import Codec
from tradewind.application.ports.bus import JsonObject
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import JobStatus

COMMAND_TOPIC = "twap.command"
EVENT_TOPIC = "twap.event"
SLICE_TOPIC = "twap.slice"


@dataclass(frozen=True, slots=True)
class JobCommand:
    """A job was created, paused, resumed or cancelled: the scheduler looks at its jobs again."""

    action: str
    job_id: str


@dataclass(frozen=True, slots=True)
class SliceDue:
    """Slice ``index`` of the job is due: one ordering service runs it."""

    job_id: JobId
    index: int


@dataclass(frozen=True, slots=True)
class SliceDone:
    """A slice ended; the job's status and progress after it."""

    job_id: JobId
    index: int
    status: JobStatus
    filled: Decimal
    total: Decimal


def _command_to_payload(command: JobCommand) -> dict[str, Any]:
    return {"action": command.action, "job_id": command.job_id}


def _command_from_payload(payload: JsonObject) -> JobCommand:
    return JobCommand(str(payload["action"]), str(payload.get("job_id", "")))


def _slice_to_payload(due: SliceDue) -> dict[str, Any]:
    return {"job_id": due.job_id, "index": due.index}


def _slice_from_payload(payload: JsonObject) -> SliceDue:
    return SliceDue(JobId(str(payload["job_id"])), int(payload["index"]))


def _done_to_payload(done: SliceDone) -> dict[str, Any]:
    return {
        "job_id": done.job_id,
        "index": done.index,
        "status": done.status.value,
        "filled": str(done.filled),
        "total": str(done.total),
    }


def _done_from_payload(payload: JsonObject) -> SliceDone:
    return SliceDone(
        JobId(str(payload["job_id"])),
        int(payload["index"]),
        JobStatus(payload["status"]),
        Decimal(str(payload["filled"])),
        Decimal(str(payload["total"])),
    )


JOB_COMMAND: Codec[JobCommand] = Codec(COMMAND_TOPIC, _command_to_payload, _command_from_payload)
SLICE_DUE: Codec[SliceDue] = Codec(SLICE_TOPIC, _slice_to_payload, _slice_from_payload)
SLICE_DONE: Codec[SliceDone] = Codec(EVENT_TOPIC, _done_to_payload, _done_from_payload)
