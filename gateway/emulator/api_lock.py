"""b2_update_file_legal_hold and b2_update_file_retention."""

from __future__ import annotations

from dataclasses import replace

from gateway.emulator.api_files import bypasses_governance, named_version
from gateway.emulator.auth import AccountGrant
from gateway.emulator.lock import (
    check_retention_change,
    parse_legal_hold,
    parse_retention,
    require_lock_enabled,
)
from gateway.emulator.models import FileVersion
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict


async def _locked_file(call: Call, grant: AccountGrant) -> FileVersion:
    version = await named_version(call, grant)
    require_lock_enabled(await call.state.bucket(version.bucket_id))
    return version


async def update_file_legal_hold(call: Call) -> JsonDict:
    grant = call.account("writeFileLegalHolds")
    version = await _locked_file(call, grant)
    hold = parse_legal_hold(call.params.text("legalHold"))
    await call.state.store.meta(lambda db: db.replace_version(replace(version, legal_hold=hold)))
    return {"fileId": version.file_id, "fileName": version.name, "legalHold": hold}


async def update_file_retention(call: Call) -> JsonDict:
    grant = call.account("writeFileRetentions")
    version = await _locked_file(call, grant)
    now = call.state.now_ms()
    retention = parse_retention(call.params.dict_or_none("fileRetention") or {}, now)
    bypass = bypasses_governance(call, grant)
    check_retention_change(version.retention, retention, now, bypass=bypass)
    await call.state.store.meta(
        lambda db: db.replace_version(replace(version, retention=retention))
    )
    return {
        "fileId": version.file_id,
        "fileName": version.name,
        "fileRetention": retention or {"mode": None, "retainUntilTimestamp": None},
    }
