"""Plain records the store keeps; the JSON the API returns is shaped from them in ``views``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.emulator.ids import new_file_id

ALL_CAPABILITIES: tuple[str, ...] = (
    "listKeys", "writeKeys", "deleteKeys", "listBuckets", "listAllBucketNames", "readBuckets",
    "writeBuckets", "deleteBuckets", "readBucketEncryption", "writeBucketEncryption",
    "readBucketRetentions", "writeBucketRetentions", "readFileRetentions", "writeFileRetentions",
    "readFileLegalHolds", "writeFileLegalHolds", "readBucketReplications",
    "writeBucketReplications", "bypassGovernance", "listFiles", "readFiles", "shareFiles",
    "writeFiles", "deleteFiles", "readBucketNotifications", "writeBucketNotifications",
)  # fmt: skip


@dataclass(frozen=True)
class Bucket:
    bucket_id: str
    name: str
    bucket_type: str
    info: dict[str, Any] = field(default_factory=dict)
    cors_rules: list[Any] = field(default_factory=list)
    lifecycle_rules: list[Any] = field(default_factory=list)
    sse_mode: str | None = None  # None or "SSE-B2"
    file_lock_enabled: bool = False
    default_retention: dict[str, Any] = field(
        default_factory=lambda: {"mode": None, "period": None}
    )
    replication: dict[str, Any] | None = None
    revision: int = 2  # the real service starts new buckets at 2 [obs]


@dataclass(frozen=True)
class FileVersion:
    """One version of a name: an upload, a hide marker, or an unfinished large file (start)."""

    file_id: str  # "" in a draft, until ``minter`` gives it an id
    bucket_id: str
    name: str
    action: str  # "upload" | "hide" | "start"
    content_type: str
    upload_ts: int  # ms since the epoch
    content_length: int = 0
    sha1: str | None = None  # 40 hex, "unverified:<hex>", or "none" for large files
    md5: str | None = None
    info: dict[str, str] = field(default_factory=dict)
    sse_mode: str | None = None
    retention: dict[str, Any] | None = None  # {"mode", "retainUntilTimestamp"} (Object Lock)
    legal_hold: str | None = None  # "on" | "off" | None


def minter(rng: random.Random, draft: FileVersion) -> Callable[[int], FileVersion]:
    """Give a draft version its id once the store has allocated its sequence number."""

    def mint(seq: int) -> FileVersion:
        return replace(draft, file_id=new_file_id(rng, draft.bucket_id, draft.upload_ts, seq))

    return mint


@dataclass(frozen=True)
class Segment:
    """A byte range of an immutable blob; a file's bytes are its segments in order."""

    blob: str
    offset: int
    length: int


@dataclass(frozen=True)
class Part:
    file_id: str
    part_number: int
    length: int
    sha1: str
    md5: str | None
    upload_ts: int
    segment: Segment


@dataclass(frozen=True)
class AppKey:
    key_id: str
    secret: str
    name: str
    capabilities: tuple[str, ...]
    bucket_ids: tuple[str, ...] | None = None
    name_prefix: str | None = None
    expires_ms: int | None = None
    is_master: bool = False
