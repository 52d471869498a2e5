"""Downloads: ``/file/<bucket>/<name>`` and ``b2_download_file_by_id``, GET and HEAD."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from gateway.emulator.auth import DownloadGrant
from gateway.emulator.content import parse_range, read_segments, slice_segments
from gateway.emulator.errors import bad_request, not_found, unauthorized
from gateway.emulator.lock import download_headers as lock_download_headers
from gateway.emulator.models import Bucket, FileVersion, Segment
from gateway.emulator.receive import ConnectionDroppedError
from gateway.emulator.rules import B2_HEADER_INFOS, b2_quote, b2_unquote
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict

# Query parameters that override response headers, and the header each one sets.
OVERRIDES = {
    "b2ContentDisposition": "Content-Disposition",
    "b2ContentLanguage": "Content-Language",
    "b2Expires": "Expires",
    "b2CacheControl": "Cache-Control",
    "b2ContentEncoding": "Content-Encoding",
    "b2ContentType": "Content-Type",
}


def _download_headers(version: FileVersion, call: Call) -> dict[str, str]:
    headers = {
        "Content-Type": version.content_type,
        "X-Bz-File-Id": version.file_id,
        "X-Bz-File-Name": b2_quote(version.name),
        "X-Bz-Content-Sha1": version.sha1 or "none",
        "X-Bz-Upload-Timestamp": str(version.upload_ts),
        "Accept-Ranges": "bytes",
    }
    for key, value in version.info.items():
        if key in B2_HEADER_INFOS:
            headers[B2_HEADER_INFOS[key]] = value
        else:
            headers[f"X-Bz-Info-{key}"] = b2_quote(value)
    for param, header in OVERRIDES.items():
        if (override := call.params.str_or_none(param)) is not None:
            headers[header] = override
    if version.sse_mode:
        headers["X-Bz-Server-Side-Encryption"] = "AES256"
    return headers


MAX_DOWNLOAD_AUTH_SECONDS = 604_800


async def get_download_authorization(call: Call) -> JsonDict:
    grant = call.account("shareFiles")
    bucket = await call.bucket_for(grant, call.params.text("bucketId"))
    prefix = call.params.text("fileNamePrefix")
    key_prefix = grant.key.name_prefix
    if key_prefix and not prefix.startswith(key_prefix):
        raise unauthorized(f"fileNamePrefix must start with {key_prefix}")
    seconds = call.params.integer("validDurationInSeconds")
    if not 1 <= seconds <= MAX_DOWNLOAD_AUTH_SECONDS:
        raise bad_request(f"validDurationInSeconds out of range: {seconds}")
    token = call.state.tokens.issue_download(
        DownloadGrant(
            bucket_id=bucket.bucket_id,
            prefix=prefix,
            expires_at=call.state.settings.clock() + seconds,
            overrides=_requested_overrides(call),
        )
    )
    return {"authorizationToken": token, "bucketId": bucket.bucket_id, "fileNamePrefix": prefix}


def _requested_overrides(call: Call) -> dict[str, str]:
    return {p: v for p in OVERRIDES if (v := call.params.str_or_none(p)) is not None}


def authorize_download(call: Call, bucket: Bucket, name: str, *, by_name: bool) -> frozenset[str]:
    """Public buckets need nothing; otherwise an account token or a download authorization.

    Returns the reader's capabilities (none for anonymous or download-authorization readers).
    """
    token = call.token()
    overrides = _requested_overrides(call)
    if token is None and bucket.bucket_type == "allPublic":
        if overrides:
            raise unauthorized("b2* query overrides need an authorization token")
        return frozenset()
    grant = call.state.tokens.download(token) if (token and by_name) else None
    if grant is not None:
        if grant.bucket_id != bucket.bucket_id or not name.startswith(grant.prefix):
            raise unauthorized("download authorization does not cover this file")
        for param, value in grant.overrides.items():
            if overrides.get(param) != value:
                raise unauthorized(f"{param} must repeat the value it was authorized with")
        return frozenset()
    account = call.account("readFiles")
    account.require_bucket(bucket.bucket_id)
    account.require_name(name)
    return frozenset(account.key.capabilities)


def file_name_from_path(raw_path: str) -> tuple[str, str]:
    """(bucket name, file name) from ``/file/<bucket>/<percent-encoded name>``."""
    rest = raw_path.split("?", 1)[0][len("/file/") :]
    bucket, sep, encoded = rest.partition("/")
    if not sep or not encoded:
        raise not_found("File not present")
    return unquote(bucket), b2_unquote(encoded)


async def download_by_name(call: Call) -> web.StreamResponse:
    bucket_name, name = file_name_from_path(call.request.raw_path)
    bucket = await call.state.store.meta(lambda db: db.get_bucket_by_name(bucket_name))
    if bucket is None:
        raise not_found(f"Bucket not found: {bucket_name}")
    reader = authorize_download(call, bucket, name, by_name=True)
    version = await call.state.store.meta(lambda db: db.newest_version(bucket.bucket_id, name))
    if version is None or version.action != "upload":
        raise not_found(f"File not present: {name}")
    return await stream_version(call, version, bucket, reader)


async def download_by_id(call: Call) -> web.StreamResponse:
    file_id = call.params.text("fileId")
    version = await call.state.store.meta(lambda db: db.get_version(file_id))
    if version is None or version.action != "upload":
        raise not_found(f"File not present: {file_id}")
    bucket = await call.state.bucket(version.bucket_id)
    reader = authorize_download(call, bucket, version.name, by_name=False)
    return await stream_version(call, version, bucket, reader)


async def stream_version(
    call: Call, version: FileVersion, bucket: Bucket, reader: frozenset[str]
) -> web.StreamResponse:
    byte_range = parse_range(call.request.headers.get("Range"), version.content_length)
    response = web.StreamResponse(status=200 if byte_range is None else 206)
    response.headers.update(_download_headers(version, call))
    response.headers.update(lock_download_headers(bucket, version, reader))
    start, length = 0, version.content_length
    if byte_range is not None:
        start, length = byte_range.start, byte_range.length
        response.headers["Content-Range"] = (
            f"bytes {byte_range.start}-{byte_range.end}/{version.content_length}"
        )
    response.content_length = length
    await response.prepare(call.request)
    if call.request.method == "HEAD":
        return response
    drop_after = length // 2 if call.drops("mid_body") else None
    segments = await call.state.store.meta(lambda db: db.segments(version.file_id))
    try:
        await _send(response, call, slice_segments(segments, start, length), drop_after)
    except Exception:
        if call.request.transport is not None:
            call.request.transport.abort()  # headers are out: only a cut tells the client
        raise
    return response


async def _send(
    response: web.StreamResponse, call: Call, segments: list[Segment], drop_after: int | None
) -> None:
    sent = 0
    async for chunk in read_segments(call.state.store.blobs, segments):
        if drop_after is not None and sent + len(chunk) > drop_after:
            await response.write(chunk[: drop_after - sent])
            raise ConnectionDroppedError
        await response.write(chunk)
        sent += len(chunk)
    await response.write_eof()
