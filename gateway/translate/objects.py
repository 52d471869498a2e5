"""GetObject, HeadObject and DeleteObject (PutObject lives in ``objects_put``).

GET opens one B2 download; the S3 answer (ETag, preconditions, headers) is decided from its
response headers before a byte of body is forwarded, and a refused download is closed unread.
The ETag comes from file info; only objects written without it (by other B2 tools, or streamed
without Content-MD5) cost one ``b2_get_file_info`` for B2's ``contentMd5``, once per file version
while ``known_etags`` remembers it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass

from gateway.b2 import B2Client, Bucket, ByteRange, DownloadInfo, DownloadStream
from gateway.b2 import errors as b2_errors
from gateway.s3 import errors
from gateway.s3.checksums import CHECKSUM_PREFIX
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.translate.conditions import RangeRequest, Validators, check_preconditions, parse_range
from gateway.translate.context import Context, require_key, resolve_bucket
from gateway.translate.etags import fallback_etag, stored_etag
from gateway.translate.headers import check_headers
from gateway.translate.known_etags import KnownEtags
from gateway.translate.mapping import (
    META_PREFIX,
    PartLayout,
    from_file_info,
    gateway_info,
    http_date,
    mail_safe,
    quoted_etag,
)
from gateway.translate.names import b2_name
from gateway.translate.versions import missing_key

MAX_PART_NUMBER = 10000
RESPONSE_OVERRIDES: Mapping[str, str] = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


async def etag_of(
    client: B2Client, known: KnownEtags, file_id: str, file_info: Mapping[str, str]
) -> str:
    """The object's unquoted ETag: from file info, else B2's contentMd5 (one extra call, once
    per file version while ``known`` remembers it)."""
    etag = gateway_info(file_info).etag or known.get(file_id)
    if etag:
        return etag
    version = await client.get_file_info(file_id)
    etag = stored_etag(version.file_info, version.content_md5) or fallback_etag(file_id)
    known.put(file_id, etag)
    return etag


def _object_headers(
    info: DownloadInfo, etag: str, request: S3Request, *, with_checksums: bool
) -> dict[str, str]:
    attributes = from_file_info(info.file_info)
    headers = {
        "Content-Type": info.content_type,
        "ETag": quoted_etag(etag),
        "Last-Modified": http_date(info.upload_timestamp),
        "Accept-Ranges": "bytes",
        "x-amz-version-id": info.file_id,
    }
    optional = {
        "Content-Disposition": info.content_disposition,
        "Content-Language": info.content_language,
        "Content-Encoding": info.content_encoding,
        "Cache-Control": info.cache_control,
        "Expires": info.expires,
        "x-amz-server-side-encryption": "AES256" if info.server_side_encryption else None,
    }
    headers.update({name: value for name, value in optional.items() if value is not None})
    headers.update({META_PREFIX + k: mail_safe(v) for k, v in attributes.metadata.items()})
    checksums = attributes.gateway.checksums
    if with_checksums and checksums:
        headers.update({CHECKSUM_PREFIX + name.lower(): v for name, v in checksums.items()})
        # A multipart upload's composite checksum ends in "-<parts>" (never in base64).
        composite = any("-" in value for value in checksums.values())
        headers["x-amz-checksum-type"] = "COMPOSITE" if composite else "FULL_OBJECT"
    for param, header in RESPONSE_OVERRIDES.items():
        if param in request.params:
            headers[header] = request.params[param]
    return headers


def _validator_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in ("ETag", "Last-Modified") if name in headers}


def _wants_checksums(request: S3Request, ranged: bool) -> bool:
    return not ranged and request.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"


def _check_version(info: DownloadInfo, name: str, key: str, version_id: str | None) -> None:
    if version_id is not None and info.file_name != name:
        raise errors.NoSuchVersion(Key=key, VersionId=version_id)


async def _respond_headers(
    ctx: Context,
    client: B2Client,
    request: S3Request,
    info: DownloadInfo,
    span: tuple[int, int, int] | None,
) -> tuple[int, dict[str, str]]:
    """Status and headers for ``info``; ``span`` is (first, last, total) of a ranged answer."""
    etag = await etag_of(client, ctx.known_etags, info.file_id, info.file_info)
    headers = _object_headers(
        info, etag, request, with_checksums=_wants_checksums(request, bool(span))
    )
    check_preconditions(
        request.headers, Validators(etag, info.upload_timestamp), _validator_headers(headers)
    )
    if span is None:
        return 200, headers
    first, last, total = span
    headers["Content-Range"] = f"bytes {first}-{last}/{total}"
    return 206, headers


def _part_span(info: DownloadInfo, number: int) -> tuple[int, int, int] | None:
    """(first, last, total) of part ``number``: from the recorded layout of a multipart object;
    any other object is one part. None for an empty part."""
    layout = _layout(info)
    if number > layout.count:
        raise errors.InvalidPartNumber(PartNumberRequested=number)
    total = info.content_length
    first, last = layout.span(number, total)
    return (first, last, total) if first <= last else None


def _layout(info: DownloadInfo) -> PartLayout:
    recorded = from_file_info(info.file_info).gateway.parts
    return recorded if recorded is not None else PartLayout(((1, info.content_length),))


def _parts_header(info: DownloadInfo) -> dict[str, str]:
    parts = from_file_info(info.file_info).gateway.parts
    return {} if parts is None else {"x-amz-mp-parts-count": str(parts.count)}


def _requested(request: S3Request) -> tuple[RangeRequest | None, int | None]:
    """The Range asked for, or the part number asked for (not both)."""
    wanted = parse_range(request.headers.get("range"))
    part = request.params.get("partNumber")
    if part is None:
        return wanted, None
    if not part.isdigit() or not 1 <= int(part) <= MAX_PART_NUMBER:
        raise errors.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=part,
        )
    if "range" in request.headers:
        raise errors.InvalidRequest(
            "Cannot specify both Range header and partNumber query parameter"
        )
    return None, int(part)


def _span_of(
    info: DownloadInfo, wanted: RangeRequest | None, part: int | None
) -> tuple[int, int, int] | None:
    if part is not None:  # the download was already cut to the part
        r, total = info.content_range, info.content_length
        if r is not None:
            return r.start, r.end, r.total
        return (0, total - 1, total) if total > 0 else None  # B2: whole file, no Content-Range
    if wanted is None:
        return None
    if info.content_range is not None:
        r = info.content_range
        return r.start, r.end, r.total
    # B2 answers a range covering the whole file without Content-Range; S3 still says 206.
    return 0, info.content_length - 1, info.content_length


_ABSENT_VERSION = (b2_errors.NotFoundError, b2_errors.BadRequestError)


async def _absent_version(
    client: B2Client, method: str, name: str, key: str, version_id: str
) -> errors.S3Error:
    """S3 answers a version that is a delete marker with 405; anything else is NoSuchVersion."""
    try:
        version = await client.get_file_info(version_id)
    except _ABSENT_VERSION:
        version = None
    if version is None or version.action != "hide" or version.file_name != name:
        return errors.NoSuchVersion(Key=key, VersionId=version_id)
    headers = {
        "x-amz-delete-marker": "true",
        "x-amz-version-id": version_id,
        "Allow": "DELETE",
        "Last-Modified": http_date(version.upload_timestamp),
    }
    return errors.MethodNotAllowed(Method=method, ResourceType="DeleteMarker", headers=headers)


@dataclass(frozen=True)
class _Addressed:
    """The object a GET or HEAD addresses."""

    bucket_name: str
    key: str
    version_id: str | None

    @property
    def name(self) -> str:
        return b2_name(self.key)


async def _head(client: B2Client, at: _Addressed) -> DownloadInfo:
    if at.version_id is None:
        return await client.head_by_name(at.bucket_name, at.name)
    try:
        return await client.head_by_id(at.version_id)
    except _ABSENT_VERSION:
        raise await _absent_version(client, "HEAD", at.name, at.key, at.version_id) from None


async def head_object(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.HeadObject, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    name = b2_name(key)
    version_id = request.params.get("versionId")
    try:
        info = await _head(client, _Addressed(bucket.bucket_name, key, version_id))
    except b2_errors.NotFoundError:
        if version_id is not None:
            raise
        raise await missing_key(client, bucket, key) from None
    _check_version(info, name, key, version_id)
    wanted, part = _requested(request)
    span = _part_span(info, part) if part is not None else None
    if wanted is not None:
        first, last = wanted.resolve(info.content_length)
        span = (first, last, info.content_length)
    status, headers = await _respond_headers(ctx, client, request, info, span)
    if part is not None:
        headers.update(_parts_header(info))
    length = info.content_length if span is None else span[1] - span[0] + 1
    return S3Response(status, {**headers, "Content-Length": str(length)})


async def get_object(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.GetObject, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    name = b2_name(key)
    version_id = request.params.get("versionId")
    wanted, part = _requested(request)
    at = _Addressed(bucket.bucket_name, key, version_id)
    byte_range = await _b2_range(client, at, wanted, part)
    stack = AsyncExitStack()
    try:
        if version_id is not None:
            opened = client.download_by_id(version_id, byte_range=byte_range)
        else:
            opened = client.download_by_name(bucket.bucket_name, name, byte_range=byte_range)
        try:
            stream = await stack.enter_async_context(opened)
        except _ABSENT_VERSION as absent:
            if version_id is not None:
                raise await _absent_version(client, "GET", name, key, version_id) from None
            if isinstance(absent, b2_errors.NotFoundError):
                raise await missing_key(client, bucket, key) from None
            raise
        _check_version(stream.info, name, key, version_id)
        status, headers = await _respond_headers(
            ctx, client, request, stream.info, _span_of(stream.info, wanted, part)
        )
        if part is not None:
            headers.update(_parts_header(stream.info))
    except BaseException:
        await stack.aclose()
        raise
    headers["Content-Length"] = str(stream.info.content_length)
    return S3Response(status, headers, _forward(stream, stack))


async def _b2_range(
    client: B2Client, at: _Addressed, wanted: RangeRequest | None, part: int | None
) -> ByteRange | None:
    if part is not None:
        # Where part N lies is in the object's file info: learn it first (partNumber only).
        span = _part_span(await _head(client, at), part)
        return None if span is None else ByteRange(span[0], span[1])
    if wanted is None:
        return None
    if wanted.suffix is None:
        assert wanted.first is not None
        return ByteRange(wanted.first, wanted.last)
    # B2 takes no suffix ranges: learn the size first.
    info = await _head(client, at)
    return ByteRange(*wanted.resolve(info.content_length))


async def _forward(stream: DownloadStream, stack: AsyncExitStack) -> AsyncIterator[bytes]:
    try:
        async for chunk in stream.iter_chunks():
            yield chunk
    finally:
        await stack.aclose()


@dataclass(frozen=True)
class DeleteOutcome:
    version_id: str | None = None  # the version deleted, or the delete marker made
    delete_marker: bool = False


async def delete_key(
    client: B2Client, bucket: Bucket, key: str, version_id: str | None
) -> DeleteOutcome:
    """S3's delete: a version by id, else a delete marker (B2 hide marker)."""
    name = b2_name(key)
    if version_id is not None:
        with suppress(b2_errors.FileNotPresentError):  # S3 answers 204 for an absent version
            await client.delete_file_version(name, version_id)
        return DeleteOutcome(version_id)
    try:
        marker = await client.hide_file(bucket.bucket_id, name)
    except (b2_errors.FileNotPresentError, b2_errors.FileAlreadyHiddenError):
        # S3 would add another delete marker; B2 cannot. The key is absent either way.
        return DeleteOutcome()
    return DeleteOutcome(marker.require_id(), delete_marker=True)


async def delete_object(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.DeleteObject, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    outcome = await delete_key(client, bucket, key, request.params.get("versionId"))
    headers = {}
    if outcome.version_id is not None:
        headers["x-amz-version-id"] = outcome.version_id
    if outcome.delete_marker:
        headers["x-amz-delete-marker"] = "true"
    return S3Response(204, headers)
