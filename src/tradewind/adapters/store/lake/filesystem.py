"""The lake's root: a pyarrow filesystem (local or S3-compatible) and the base path inside it."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs
import yaml

from tradewind.adapters.store.lake.settings import LakeLocationError, LakeSettings


@dataclass(frozen=True, slots=True)
class LakeRoot:
    filesystem: pafs.FileSystem
    base: str  # the lake's path inside ``filesystem``: ``bucket/prefix`` or an absolute folder
    local: bool

    def join(self, *parts: str) -> str:
        return "/".join([self.base.rstrip("/"), *parts])


def open_root(settings: LakeSettings, location: str | None = None) -> LakeRoot:
    """The configured lake, or ``location`` (``s3://bucket/prefix`` with the lake's endpoint and credentials, or a
    folder) in its place."""
    where = location if location is not None else settings.location
    if not where.startswith("s3://"):
        folder = Path(where).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return LakeRoot(pafs.LocalFileSystem(), folder.as_posix(), local=True)
    bucket_and_prefix = where.removeprefix("s3://").strip("/")
    if not bucket_and_prefix or bucket_and_prefix.startswith("/"):
        raise LakeLocationError(f"an S3 location is s3://bucket/prefix (got {where!r})")
    return LakeRoot(s3_filesystem(settings), bucket_and_prefix, local=False)


_S3_USED: list[bool] = []  # set once this process has made an S3 filesystem


def s3_filesystem(settings: LakeSettings) -> pafs.S3FileSystem:
    """pyarrow's S3 client for the lake's endpoint, region and credentials (the AWS default chain when none)."""
    _S3_USED.append(True)
    key, secret = _credentials(settings)
    options: dict[str, object] = {"region": settings.region}
    if settings.endpoint is not None:
        scheme, _, host = settings.endpoint.partition("://")
        options |= {"endpoint_override": host.rstrip("/"), "scheme": scheme}
    if key is not None:
        options |= {"access_key": key, "secret_key": secret}
    return pafs.S3FileSystem(**options)


def _credentials(settings: LakeSettings) -> tuple[str | None, str | None]:
    if settings.access_key_id is not None and settings.secret_access_key is not None:
        return settings.access_key_id.get_secret_value(), settings.secret_access_key.get_secret_value()
    if settings.secrets_file is None:
        return None, None
    try:
        data = yaml.safe_load(settings.secrets_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else type(exc).__name__
        raise LakeLocationError(f"lake.secrets_file: cannot read {settings.secrets_file}: {reason}") from None
    if not isinstance(data, dict) or not {"access_key_id", "secret_access_key"} <= set(data):
        raise LakeLocationError(
            f"lake.secrets_file: {settings.secrets_file} must map access_key_id and secret_access_key"
        )
    return str(data["access_key_id"]), str(data["secret_access_key"])


def release_s3() -> None:
    """At the end of a process that used S3: shut pyarrow's S3 client down once its filesystems are collected.

    Left to the interpreter's exit, the AWS SDK's threads may abort it ("terminate called without an active
    exception", exit -6) after the work is done. Call it last: no S3 filesystem can be made afterwards.
    """
    if _S3_USED:
        gc.collect()
        pafs.finalize_s3()
