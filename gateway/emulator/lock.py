"""Object Lock: file retention and legal hold values, bucket defaults, and what they forbid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.emulator.errors import B2Error, bad_request
from gateway.emulator.models import Bucket, FileVersion

RETENTION_MODES = ("governance", "compliance")
LEGAL_HOLDS = ("on", "off")
_MS_PER_UNIT = {"days": 86_400_000, "years": 365 * 86_400_000}


def require_lock_enabled(bucket: Bucket) -> None:
    if not bucket.file_lock_enabled:
        raise B2Error(400, "bucket_missing_file_lock", "The bucket is not file lock enabled")


def parse_retention(value: Mapping[str, Any] | None, now_ms: int) -> dict[str, Any] | None:
    """A ``{"mode", "retainUntilTimestamp"}`` value; None when no retention is set."""
    if value is None:
        return None
    mode, until = value.get("mode"), value.get("retainUntilTimestamp")
    if mode is None:
        if until is not None:
            raise bad_request("retainUntilTimestamp needs a retention mode")
        return None
    if mode not in RETENTION_MODES:
        raise bad_request(f"Invalid retention mode: {mode}")
    if isinstance(until, bool) or not isinstance(until, int) or until <= now_ms:
        raise bad_request("retainUntilTimestamp must be a future time in milliseconds")
    return {"mode": mode, "retainUntilTimestamp": until}


def parse_legal_hold(value: object) -> str | None:
    if value is None:
        return None
    if value not in LEGAL_HOLDS:
        raise bad_request(f"Invalid legal hold: {value}")
    return str(value)


def from_headers(
    headers: Mapping[str, str], now_ms: int
) -> tuple[dict[str, Any] | None, str | None]:
    """(retention, legal hold) requested by upload headers."""
    mode = headers.get("X-Bz-File-Retention-Mode")
    until = headers.get("X-Bz-File-Retention-Retain-Until-Timestamp")
    if (mode is None) != (until is None):
        raise bad_request("X-Bz-File-Retention-Mode and -Retain-Until-Timestamp go together")
    retention = None
    if mode is not None and until is not None:
        if not until.isdigit():
            raise bad_request("X-Bz-File-Retention-Retain-Until-Timestamp must be milliseconds")
        retention = parse_retention({"mode": mode, "retainUntilTimestamp": int(until)}, now_ms)
    return retention, parse_legal_hold(headers.get("X-Bz-File-Legal-Hold"))


def default_retention(bucket: Bucket, upload_ms: int) -> dict[str, Any] | None:
    """The retention a file uploaded at ``upload_ms`` gets from its bucket's default, if any."""
    mode = bucket.default_retention.get("mode")
    period = bucket.default_retention.get("period") or {}
    if not bucket.file_lock_enabled or mode not in RETENTION_MODES:
        return None
    unit_ms = _MS_PER_UNIT.get(str(period.get("unit")), 0)
    until = upload_ms + int(period.get("duration", 0)) * unit_ms
    return {"mode": mode, "retainUntilTimestamp": until}


def _in_force(retention: Mapping[str, Any] | None, now_ms: int) -> str | None:
    if retention is None or int(retention["retainUntilTimestamp"]) <= now_ms:
        return None
    return str(retention["mode"])


def check_retention_change(
    current: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    now_ms: int,
    *,
    bypass: bool,
) -> None:
    """Compliance can only be extended; governance shrinks or goes only with a bypass."""
    mode = _in_force(current, now_ms)
    if mode is None or current is None:
        return
    shortened = new is None or new["retainUntilTimestamp"] < current["retainUntilTimestamp"]
    if mode == "compliance" and (shortened or new is None or new["mode"] != "compliance"):
        raise B2Error(403, "access_denied", "compliance retention cannot be shortened or removed")
    if mode == "governance" and shortened and not bypass:
        raise B2Error(403, "access_denied", "governance retention needs bypassGovernance")


def check_deletable(version: FileVersion, now_ms: int, *, bypass: bool) -> None:
    if version.legal_hold == "on":
        raise B2Error(401, "unauthorized", "file is under legal hold")
    mode = _in_force(version.retention, now_ms)
    if mode == "compliance" or (mode == "governance" and not bypass):
        raise B2Error(401, "unauthorized", f"file is under {mode} retention")


def download_headers(
    bucket: Bucket, version: FileVersion, reader: frozenset[str]
) -> dict[str, str]:
    """Lock headers of a download; what the reader may not read is named, not shown."""
    if not bucket.file_lock_enabled:
        return {}
    headers: dict[str, str] = {}
    hidden: list[str] = []
    if "readFileRetentions" not in reader:
        hidden += ["X-Bz-File-Retention-Mode", "X-Bz-File-Retention-Retain-Until-Timestamp"]
    elif version.retention is not None:
        headers["X-Bz-File-Retention-Mode"] = str(version.retention["mode"])
        headers["X-Bz-File-Retention-Retain-Until-Timestamp"] = str(
            version.retention["retainUntilTimestamp"]
        )
    if "readFileLegalHolds" not in reader:
        hidden.append("X-Bz-File-Legal-Hold")
    else:
        headers["X-Bz-File-Legal-Hold"] = version.legal_hold or "off"
    if hidden:
        headers["X-Bz-Client-Unauthorized-To-Read"] = ",".join(hidden)
    return headers


def check_new_file_lock(
    bucket: Bucket,
    capabilities: tuple[str, ...],
    requested: tuple[dict[str, Any] | None, str | None],
) -> None:
    """Refuse lock settings on a bucket without Object Lock or from a key that can't set them."""
    retention, legal_hold = requested
    if retention is not None or legal_hold is not None:
        require_lock_enabled(bucket)
    if retention is not None and "writeFileRetentions" not in capabilities:
        raise B2Error(401, "unauthorized", "setting retention needs writeFileRetentions")
    if legal_hold is not None and "writeFileLegalHolds" not in capabilities:
        raise B2Error(401, "unauthorized", "setting a legal hold needs writeFileLegalHolds")
