"""Where the lake is (a folder or an S3-compatible bucket), its credentials and what the sink writes: ``lake:``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# The kinds the lake knows (``md.<kind>.#``); a new kind (candles) is one entry in ``layout.KINDS`` and its name here.
KNOWN_KINDS = ("trade", "mid", "book")


class LakeLocationError(ValueError):
    """The lake's location or credentials cannot be used; the message names the setting or file, never a secret."""


class LakeSettings(BaseModel):
    """Off by default. Without ``bucket`` the lake is the folder ``path``; with it, ``s3://bucket/prefix``.

    Credentials: ``access_key_id`` / ``secret_access_key`` (``TRADEWIND_LAKE__ACCESS_KEY_ID`` ... in the
    environment), or ``secrets_file`` (YAML/JSON with those two keys, outside the repository), or neither: the AWS
    default chain (``AWS_ACCESS_KEY_ID``, instance roles).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False  # the embedded system's lake component (`tradewind service lake` always runs it)
    path: Path = Path("data/lake")
    bucket: str | None = None
    prefix: str = "lake"
    endpoint: str | None = None  # http://minio:9000 for MinIO or any S3-compatible store; none: AWS S3
    region: str = "us-east-1"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    secrets_file: Path | None = None
    kinds: tuple[str, ...] = ("trade", "mid")
    rows_per_file: int = Field(10_000, ge=1, le=1_000_000)  # a file is rolled at this many rows of a kind ...
    roll_interval_s: float = Field(300.0, gt=0)  # ... or this often, whichever comes first
    retry_interval_s: float = Field(5.0, gt=0)  # after a failed write (store down), the next try
    queue: str = Field("lake.md", min_length=1)  # the durable work queue of the sink

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in value if kind not in KNOWN_KINDS]
        if unknown:
            raise ValueError(f"unknown kind {', '.join(map(repr, unknown))}; known: {', '.join(KNOWN_KINDS)}")
        if not value:
            raise ValueError("name at least one kind")
        return tuple(dict.fromkeys(value))

    @field_validator("prefix")
    @classmethod
    def _clean_prefix(cls, value: str) -> str:
        return value.strip("/")

    @field_validator("access_key_id", "secret_access_key")
    @classmethod
    def _unset_when_blank(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is not None and not value.get_secret_value().strip() else value

    @model_validator(mode="after")
    def _one_credential_source(self) -> LakeSettings:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("set both lake.access_key_id and lake.secret_access_key, or neither")
        if self.secrets_file is not None and self.access_key_id is not None:
            raise ValueError("set lake.access_key_id/secret_access_key or lake.secrets_file, not both")
        if self.endpoint is not None and not self.endpoint.startswith(("http://", "https://")):
            raise ValueError(f"lake.endpoint is a URL such as http://minio:9000 (got {self.endpoint!r})")
        return self

    @property
    def location(self) -> str:
        """Where the lake is, as a reader names it (``s3://bucket/prefix`` or the folder)."""
        return str(self.path) if self.bucket is None else f"s3://{self.bucket}/{self.prefix}".rstrip("/")
