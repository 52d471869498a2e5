"""b2_get_upload_url and b2_upload_file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from gateway.emulator.auth import UploadGrant
from gateway.emulator.errors import B2Error, bad_request
from gateway.emulator.ids import random_hex
from gateway.emulator.lock import check_new_file_lock, default_retention, from_headers
from gateway.emulator.models import AppKey, Bucket, FileVersion, Segment, minter
from gateway.emulator.receive import Sha1Mode, declared_length, receive_body
from gateway.emulator.rules import (
    MAX_SIMPLE_FILE_BYTES,
    b2_unquote,
    check_content_type,
    check_file_info,
    check_file_name,
    header_budget,
)
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict, file_json

# Standard headers B2 refuses on uploads: they travel as b2-* file info instead.
FORBIDDEN_UPLOAD_HEADERS = (
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Location",
    "Content-Range",
    "Expires",
)
INFO_HEADER_PREFIX = "x-bz-info-"


async def get_upload_url(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    bucket = await call.bucket_for(grant, call.params.text("bucketId"))
    token = call.state.tokens.issue_upload(grant.key, bucket.bucket_id)
    slot = f"c000_v{random_hex(call.state.rng, 8)}"
    return {
        "authorizationToken": token,
        "bucketId": bucket.bucket_id,
        "uploadUrl": f"{call.base_url}/b2api/v{call.api_version}/b2_upload_file/"
        f"{bucket.bucket_id}/{slot}",
    }


def upload_infos(headers: Mapping[str, str]) -> dict[str, str]:
    """X-Bz-Info-* headers as file info: keys lower-cased, values percent-decoded."""
    return {
        name[len(INFO_HEADER_PREFIX) :].lower(): b2_unquote(value)
        for name, value in headers.items()
        if name.lower().startswith(INFO_HEADER_PREFIX)
    }


def upload_sse_mode(headers: Mapping[str, str], bucket: Bucket) -> str | None:
    if any(h.lower().startswith("x-bz-server-side-encryption-customer") for h in headers):
        raise bad_request("SSE-C is not supported by this emulator")
    requested = headers.get("X-Bz-Server-Side-Encryption")
    if requested is None:
        return bucket.sse_mode
    if requested != "AES256":
        raise bad_request(f"Invalid X-Bz-Server-Side-Encryption: {requested}")
    return "SSE-B2"


def _custom_upload_timestamp(call: Call) -> int | None:
    custom = call.request.headers.get("X-Bz-Custom-Upload-Timestamp")
    if custom is None:
        return None
    if not custom.isdigit() or int(custom) > call.state.now_ms():
        raise bad_request("X-Bz-Custom-Upload-Timestamp must be ms in the past")
    return int(custom)


async def exclusive_upload(
    call: Call, target_id: str, work: Callable[[UploadGrant], Awaitable[JsonDict]]
) -> JsonDict:
    """Run ``work`` holding the upload token: B2 serves one upload per token at a time."""
    grant = call.state.tokens.upload(call.token(), target_id)
    if grant.busy:
        raise B2Error(
            400, "auth_token_limit", f"more than one upload using auth token {call.token()}"
        )
    grant.busy = True
    try:
        return await work(grant)
    finally:
        grant.busy = False


async def upload_file(call: Call) -> JsonDict:
    bucket_id = call.request.match_info["target"]
    return await exclusive_upload(
        call, bucket_id, lambda grant: _store_upload(call, bucket_id, grant.key)
    )


async def _store_upload(call: Call, bucket_id: str, key: AppKey) -> JsonDict:
    headers = call.request.headers
    bucket = await call.state.bucket(bucket_id)
    raw_name = headers.get("X-Bz-File-Name")
    if raw_name is None:
        raise bad_request("Missing header: X-Bz-File-Name")
    name = check_file_name(b2_unquote(raw_name))
    if key.name_prefix and not name.startswith(key.name_prefix):
        raise B2Error(401, "unauthorized", f"file names must start with {key.name_prefix}")
    for forbidden in FORBIDDEN_UPLOAD_HEADERS:
        if forbidden in headers:
            raise bad_request(f"Header not allowed on upload: {forbidden}")
    content_type = check_content_type(headers.get("Content-Type"), name)
    sse_mode = upload_sse_mode(headers, bucket)
    budget = header_budget(sse_mode, bucket.file_lock_enabled)
    info = check_file_info(upload_infos(headers), name, budget)
    retention, legal_hold = from_headers(headers, call.state.now_ms())
    check_new_file_lock(bucket, key.capabilities, (retention, legal_hold))
    custom_ts = _custom_upload_timestamp(call)
    mode = Sha1Mode.parse(headers.get("X-Bz-Content-Sha1"))
    length = declared_length(call.request, mode, MAX_SIMPLE_FILE_BYTES)
    received = await receive_body(
        call.request,
        call.state.store.blobs,
        mode,
        length,
        drop_mid_body=call.drops("mid_body"),
    )
    upload_ts = custom_ts or call.state.now_ms()  # stamped when the bytes are in
    mint = minter(
        call.state.rng,
        FileVersion(
            file_id="",
            bucket_id=bucket_id,
            name=name,
            action="upload",
            content_type=content_type,
            upload_ts=upload_ts,
            content_length=received.length,
            sha1=received.sha1,
            md5=received.md5,
            info=info,
            sse_mode=sse_mode,
            retention=retention or default_retention(bucket, upload_ts),
            legal_hold=legal_hold,
        ),
    )
    segments = [Segment(received.blob, 0, received.length)]
    try:
        version = await call.state.store.meta(lambda db: db.add_version(mint, segments))
    except BaseException:
        await call.state.store.blobs.delete([received.blob])
        raise
    return file_json(version, call.view(key))
