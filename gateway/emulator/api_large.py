"""Large files: start, part URLs, parts, finish, cancel, list parts, list unfinished."""

from __future__ import annotations

from dataclasses import replace

from gateway.emulator.api_upload import exclusive_upload
from gateway.emulator.auth import AccountGrant
from gateway.emulator.errors import B2Error, bad_request
from gateway.emulator.ids import random_hex
from gateway.emulator.lock import (
    check_new_file_lock,
    default_retention,
    parse_legal_hold,
    parse_retention,
)
from gateway.emulator.metadata import file_id_position
from gateway.emulator.models import FileVersion, Part, Segment, minter
from gateway.emulator.params import Params
from gateway.emulator.receive import Received, Sha1Mode, declared_length, receive_body
from gateway.emulator.rules import (
    check_content_type,
    check_file_info,
    check_file_name,
    check_max_count,
    header_budget,
)
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict, file_json, part_json

MAX_PART_BYTES = 5_000_000_000
MAX_PART_NUMBER = 10_000
DEFAULT_PART_COUNT = 100
MAX_PART_COUNT = 1000
MAX_UNFINISHED_COUNT = 100


def _request_sse(params: Params, default: str | None) -> str | None:
    setting = params.dict_or_none("serverSideEncryption")
    if setting is None:
        return default
    if setting.get("mode") == "SSE-C":
        raise bad_request("SSE-C is not supported by this emulator")
    if setting.get("mode") not in ("SSE-B2", None, "none"):
        raise bad_request(f"Invalid serverSideEncryption: {setting}")
    return "SSE-B2" if setting.get("mode") == "SSE-B2" else None


def request_file_info(params: Params, name: str, budget_bytes: int) -> dict[str, str]:
    info = params.dict_or_none("fileInfo") or {}
    if not all(isinstance(v, str) for v in info.values()):
        raise bad_request("fileInfo values must be strings")
    return check_file_info({str(k).lower(): v for k, v in info.items()}, name, budget_bytes)


async def started_file(call: Call, grant: AccountGrant, file_id: str) -> FileVersion:
    """The unfinished large file ``file_id``; 400 if it is unknown or already finished."""
    if file_id_position(file_id) is None:
        raise bad_request(f"Invalid fileId: {file_id}")
    version = await call.state.store.meta(lambda db: db.get_version(file_id))
    if version is None or version.action != "start":
        raise bad_request(f"No active upload for: {file_id}")
    grant.require_bucket(version.bucket_id)
    grant.require_name(version.name)
    return version


async def start_large_file(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    bucket = await call.bucket_for(grant, call.params.text("bucketId"))
    name = check_file_name(call.params.text("fileName"))
    grant.require_name(name)
    content_type = check_content_type(call.params.text("contentType"), name)
    sse_mode = _request_sse(call.params, bucket.sse_mode)
    info = request_file_info(call.params, name, header_budget(sse_mode, bucket.file_lock_enabled))
    now = call.state.now_ms()
    requested = (
        parse_retention(call.params.dict_or_none("fileRetention"), now),
        parse_legal_hold(call.params.str_or_none("legalHold")),
    )
    check_new_file_lock(bucket, grant.key.capabilities, requested)
    custom_ts = call.params.int_or_none("customUploadTimestamp")
    upload_ts = custom_ts if custom_ts is not None else now
    draft = FileVersion(
        file_id="",
        bucket_id=bucket.bucket_id,
        name=name,
        action="start",
        content_type=content_type,
        upload_ts=upload_ts,
        sha1="none",
        info=info,
        sse_mode=sse_mode,
        retention=requested[0] or default_retention(bucket, upload_ts),
        legal_hold=requested[1],
    )
    mint = minter(call.state.rng, draft)
    started = await call.state.store.meta(lambda db: db.add_version(mint, []))
    return file_json(started, call.view(grant))


async def get_upload_part_url(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    version = await started_file(call, grant, call.params.text("fileId"))
    token = call.state.tokens.issue_upload(grant.key, version.file_id)
    slot = random_hex(call.state.rng, 4)
    return {
        "authorizationToken": token,
        "fileId": version.file_id,
        "uploadUrl": f"{call.base_url}/b2api/v{call.api_version}/b2_upload_part/"
        f"{version.file_id}/{slot}",
    }


def _part_number(raw: str | None) -> int:
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= MAX_PART_NUMBER:
        raise bad_request(f"X-Bz-Part-Number must be 1 to {MAX_PART_NUMBER}: {raw}")
    return int(raw)


async def upload_part(call: Call) -> JsonDict:
    file_id = call.request.match_info["target"]
    return await exclusive_upload(call, file_id, lambda grant: _store_part(call, file_id))


async def _store_part(call: Call, file_id: str) -> JsonDict:
    version = await call.state.store.meta(lambda db: db.get_version(file_id))
    if version is None or version.action != "start":
        raise bad_request(f"No active upload for: {file_id}")
    headers = call.request.headers
    number = _part_number(headers.get("X-Bz-Part-Number"))
    mode = Sha1Mode.parse(headers.get("X-Bz-Content-Sha1"))
    if not mode.verify:
        raise bad_request("do_not_verify is not accepted for parts")
    length = declared_length(call.request, mode, MAX_PART_BYTES)
    received = await receive_body(
        call.request, call.state.store.blobs, mode, length, drop_mid_body=call.drops("mid_body")
    )
    return await save_part(call, version, number, received)


async def save_part(call: Call, large: FileVersion, number: int, received: Received) -> JsonDict:
    """Record a part whose blob was written for it; on failure that blob goes."""
    segment = Segment(received.blob, 0, received.length)
    return await record_part(
        call, large, number, segment, (received.sha1, received.md5), owned=True
    )


async def record_part(
    call: Call,
    large: FileVersion,
    number: int,
    segment: Segment,
    digests: tuple[str, str | None],
    *,
    owned: bool,
) -> JsonDict:
    """Record a part made of ``segment``; blobs only it referenced (a replaced part's, or its own
    ``owned`` one when recording fails) are deleted."""
    sha1, md5 = digests
    part = Part(
        file_id=large.file_id,
        part_number=number,
        length=segment.length,
        sha1=sha1,
        md5=md5,
        upload_ts=call.state.now_ms(),
        segment=segment,
    )
    blobs = call.state.store.blobs
    try:
        orphans = await call.state.store.meta(lambda db: db.put_part(part))
    except BaseException:
        if owned:
            await blobs.delete([segment.blob])
        raise
    await blobs.delete(orphans)
    return part_json(part, large.sse_mode, call.api_version)


def check_parts(parts: list[Part], sha1s: list[str], minimum: int) -> None:
    """B2's finish rules: ≥2 parts, numbered 1..N, SHA-1s in order, all but the last ≥ min."""
    if len(sha1s) < 2:
        raise bad_request("large files must have at least 2 parts")
    by_number = {p.part_number: p for p in parts}
    for number, sha1 in enumerate(sha1s, start=1):
        part = by_number.get(number)
        if part is None:
            raise B2Error(400, "missing_part", f"Part number {number} has not been uploaded")
        if part.sha1 != sha1.lower():
            raise B2Error(400, "part_sha1_mismatch", f"Part number {number} has wrong SHA1: {sha1}")
        if number < len(sha1s) and part.length < minimum:
            raise bad_request(f"Part number {number} is smaller than the minimum part size")
    if len(by_number) != len(sha1s):
        raise bad_request("partSha1Array must list every uploaded part, numbered from 1")


async def finish_large_file(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    version = await started_file(call, grant, call.params.text("fileId"))
    sha1s = call.params.str_list_or_none("partSha1Array")
    if sha1s is None:
        raise bad_request("required field partSha1Array is missing")
    parts = await call.state.store.meta(
        lambda db: db.list_parts(version.file_id, 1, MAX_PART_NUMBER + 1)
    )
    check_parts(parts, sha1s, call.state.settings.absolute_minimum_part_size)
    finished = replace(
        version, action="upload", content_length=sum(p.length for p in parts)
    )  # uploadTimestamp stays the start time [obs]
    stored = await call.state.store.meta(lambda db: db.finish_large_file(finished))
    return file_json(stored, call.view(grant))


async def cancel_large_file(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    version = await started_file(call, grant, call.params.text("fileId"))
    orphans = await call.state.store.meta(lambda db: db.delete_version(version.file_id))
    await call.state.store.blobs.delete(orphans)
    return {
        "accountId": call.account_id,
        "bucketId": version.bucket_id,
        "fileId": version.file_id,
        "fileName": version.name,
    }


async def list_parts(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    version = await started_file(call, grant, call.params.text("fileId"))
    start = call.params.int_or_none("startPartNumber") or 1
    count = check_max_count(
        call.params.int_or_none("maxPartCount"), DEFAULT_PART_COUNT, MAX_PART_COUNT, "maxPartCount"
    )
    parts = await call.state.store.meta(lambda db: db.list_parts(version.file_id, start, count + 1))
    return {
        "nextPartNumber": parts[count].part_number if len(parts) > count else None,
        "parts": [part_json(p, version.sse_mode, call.api_version) for p in parts[:count]],
    }


async def list_unfinished_large_files(call: Call) -> JsonDict:
    grant = call.account("listFiles")
    bucket = await call.bucket_for(grant, call.params.text("bucketId"))
    prefix = call.params.str_or_none("namePrefix") or ""
    key_prefix = grant.key.name_prefix
    if key_prefix and not prefix.startswith(key_prefix):
        raise B2Error(401, "unauthorized", f"namePrefix must start with {key_prefix}")
    start_id = call.params.str_or_none("startFileId")
    start_seq = 0
    if start_id is not None:
        position = file_id_position(start_id)
        if position is None:
            raise bad_request(f"Invalid startFileId: {start_id}")
        start_seq = position[1]
    count = check_max_count(
        call.params.int_or_none("maxFileCount"),
        MAX_UNFINISHED_COUNT,
        MAX_UNFINISHED_COUNT,
        "maxFileCount",
    )
    files = await call.state.store.meta(
        lambda db: db.unfinished_large_files(bucket.bucket_id, prefix, start_seq, count + 1)
    )
    return {
        "files": [file_json(f, call.view(grant)) for f in files[:count]],
        "nextFileId": files[count].file_id if len(files) > count else None,
        "nextFileName": None,
    }
