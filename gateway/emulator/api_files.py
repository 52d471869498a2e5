"""b2_get_file_info, b2_list_file_names, b2_list_file_versions, b2_hide_file,
b2_delete_file_version."""

from __future__ import annotations

from gateway.emulator.auth import AccountGrant
from gateway.emulator.errors import B2Error, bad_request, not_found
from gateway.emulator.listing import Entry, ListQuery, list_entries
from gateway.emulator.lock import check_deletable
from gateway.emulator.metadata import add_hide_marker, file_id_position
from gateway.emulator.models import FileVersion, minter
from gateway.emulator.rules import HIDE_MARKER_TYPE, check_file_name, check_max_count
from gateway.emulator.state import Call
from gateway.emulator.views import EMPTY_MD5, EMPTY_SHA1, JsonDict, View, file_json, folder_json

MAX_LIST_COUNT = 10_000
DEFAULT_LIST_COUNT = 100


async def get_file_info(call: Call) -> JsonDict:
    grant = call.account("readFiles")
    file_id = call.params.text("fileId")
    version = await call.state.store.meta(lambda db: db.get_version(file_id))
    if version is None:
        raise not_found(f"File not present: {file_id}")
    grant.require_bucket(version.bucket_id)
    grant.require_name(version.name)
    return file_json(version, call.view(grant))


async def _list(call: Call, *, latest_only: bool) -> tuple[list[JsonDict], Entry | None]:
    """One page of entries as JSON, and the entry the next page starts with."""
    grant = call.account("listFiles")
    bucket_id = call.params.text("bucketId")
    grant.require_bucket(bucket_id)
    if await call.state.store.meta(lambda db: db.get_bucket(bucket_id)) is None:
        raise B2Error(400, "invalid_bucket_id", f"Invalid bucketId: {bucket_id}")
    prefix = call.params.str_or_none("prefix") or ""
    key_prefix = grant.key.name_prefix
    if key_prefix and not prefix.startswith(key_prefix):
        raise B2Error(401, "unauthorized", f"prefix must start with {key_prefix}")
    start_name = call.params.str_or_none("startFileName")
    start_id = call.params.str_or_none("startFileId")
    start_position = None
    if start_id is not None and not latest_only:
        if start_name is None:
            raise bad_request("startFileId requires startFileName")
        start_position = file_id_position(start_id)
        if start_position is None:
            raise B2Error(400, "invalid_file_id", f"Invalid startFileId: {start_id}")
    query = ListQuery(
        bucket_id=bucket_id,
        start_name=start_name,
        start_position=start_position,
        prefix=prefix,
        delimiter=call.params.str_or_none("delimiter"),
        count=check_max_count(
            call.params.int_or_none("maxFileCount"),
            DEFAULT_LIST_COUNT,
            MAX_LIST_COUNT,
            "maxFileCount",
        ),
        latest_only=latest_only,
    )
    entries, following = await call.state.store.meta(lambda db: list_entries(db, query))
    view = call.view(grant)
    return [_entry_json(view, e) for e in entries], following


def _entry_json(view: View, entry: Entry) -> JsonDict:
    if entry.version is None:
        return folder_json(entry.name, view.api_version)
    return file_json(entry.version, view)


async def list_file_names(call: Call) -> JsonDict:
    files, following = await _list(call, latest_only=True)
    return {
        "files": files,
        "nextFileName": None if following is None else following.name,
    }


async def list_file_versions(call: Call) -> JsonDict:
    files, following = await _list(call, latest_only=False)
    return {
        "files": files,
        "nextFileId": None if following is None or following.version is None
        else following.version.file_id,
        "nextFileName": None if following is None else following.name,
    }  # fmt: skip


async def hide_file(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    bucket = await call.bucket_for(grant, call.params.text("bucketId"))
    name = check_file_name(call.params.text("fileName"))
    grant.require_name(name)
    draft = FileVersion(
        file_id="",
        bucket_id=bucket.bucket_id,
        name=name,
        action="hide",
        content_type=HIDE_MARKER_TYPE,
        upload_ts=call.state.now_ms(),
        sha1=EMPTY_SHA1,
        md5=EMPTY_MD5,
    )
    mint = minter(call.state.rng, draft)
    marker = await call.state.store.meta(
        lambda db: add_hide_marker(db, bucket.bucket_id, name, mint)
    )
    body = file_json(marker, call.view(grant))
    if call.api_version == 1:
        del body["bucketId"]  # v2 added bucketId to the hide response
    return body


async def named_version(call: Call, grant: AccountGrant) -> FileVersion:
    """The version the request's fileId and fileName name together (both must agree)."""
    name = call.params.text("fileName")
    file_id = call.params.text("fileId")
    version = await call.state.store.meta(lambda db: db.get_version(file_id))
    if version is None or version.name != name:
        raise B2Error(400, "file_not_present", f"File not present: {name} {file_id}")
    grant.require_bucket(version.bucket_id)
    grant.require_name(version.name)
    return version


def bypasses_governance(call: Call, grant: AccountGrant) -> bool:
    """bypassGovernance counts only for a key that holds the bypassGovernance capability."""
    requested = bool(call.params.bool_or_none("bypassGovernance"))
    return requested and "bypassGovernance" in grant.key.capabilities


async def delete_file_version(call: Call) -> JsonDict:
    grant = call.account("deleteFiles")
    version = await named_version(call, grant)
    check_deletable(version, call.state.now_ms(), bypass=bypasses_governance(call, grant))
    orphans = await call.state.store.meta(lambda db: db.delete_version(version.file_id))
    await call.state.store.blobs.delete(orphans)
    return {"fileId": version.file_id, "fileName": version.name}
