"""Identifier types: a client order id never slips where a job id belongs."""

from __future__ import annotations

import re
import uuid
from typing import NewType

ClientOrderId = NewType("ClientOrderId", str)
JobId = NewType("JobId", str)

CLIENT_ORDER_ID_MAX_LEN = 36
_CLIENT_ORDER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,36}")


def client_order_id(value: str) -> ClientOrderId:
    """Validate ``value`` as a client order id (1..36 chars of ``[A-Za-z0-9_-]``, Bybit's orderLinkId rule)."""
    if not isinstance(value, str) or _CLIENT_ORDER_ID_RE.fullmatch(value) is None:
        raise ValueError(
            f"client_order_id must be 1..{CLIENT_ORDER_ID_MAX_LEN} characters of [A-Za-z0-9_-], got {value!r}"
        )
    return ClientOrderId(value)


def new_client_order_id(prefix: str = "tw") -> ClientOrderId:
    """A fresh random client order id, ``prefix`` + 32 hex chars, trimmed to the 36-char limit."""
    return client_order_id(f"{prefix}{uuid.uuid4().hex}"[:CLIENT_ORDER_ID_MAX_LEN])


def job_id(value: str) -> JobId:
    """Validate ``value`` as a job id (non-empty, no whitespace)."""
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"job id must be non-empty without whitespace, got {value!r}")
    return JobId(value)
