"""CreateMultipartUpload, UploadPart, AbortMultipartUpload and ListParts over the staged layout
of ``multipart_store`` (CompleteMultipartUpload lives in ``multipart_complete``, the upload
listing in ``multipart_uploads``).

A part is stored like a PutObject body: small parts are read, verified and uploaded with their
digests in file info (retryable); larger ones stream to B2 and ``RequestBody.verify()`` runs
before the trailing SHA-1 goes out, so a part failing any S3 check (or cut off mid-body) is never
stored. The upload's checksum is computed for every part even when the client sends none, so
Complete can always give the object checksum S3 would.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from contextlib import nullcontext
from dataclasses import replace

from gateway.b2 import B2Client, Bucket, UploadBody
from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm, Hasher, expectations
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import InitiateMultipartUploadResult
from gateway.s3.xml_listing import ListPartsResult, PartEntry
from gateway.translate.context import Context, require_key, resolve_bucket
from gateway.translate.etags import reported_md5
from gateway.translate.headers import check_headers
from gateway.translate.large_files import LargeTarget
from gateway.translate.mapping import GatewayInfo, ObjectAttributes, quoted_etag, to_file_info
from gateway.translate.multipart_store import (
    MAX_PART_NUMBER,
    Upload,
    checked_marker_name,
    delete_upload,
    find_upload,
    list_parts,
    marker_info,
    new_upload_id,
    part_name,
)
from gateway.translate.multipart_sums import ChecksumChoice
from gateway.translate.names import b2_name
from gateway.translate.objects_put import (
    _known_up_front,  # PutObject's: what the client declared before the body
    content_type,
    declared_length,
    decline_md5_unless_declared,
    held_body,
    object_attributes,
    read_back_md5,
)
from gateway.translate.params import int_param

MAX_PART_BYTES = 5 * 1024**3  # S3's limit for one part
PART_CONTENT_TYPE = "application/octet-stream"
MAX_PARTS_LISTED = 1000


async def create_multipart_upload(
    ctx: Context, request: S3Request, *, now_millis: int
) -> S3Response:
    key = require_key(request)
    check_headers(Op.CreateMultipartUpload, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    b2_name(key)  # refuses keys B2 cannot hold before anything is written
    checksum = ChecksumChoice.from_headers(
        request.headers.get("x-amz-checksum-algorithm"), request.headers.get("x-amz-checksum-type")
    )
    attributes = object_attributes(request.headers)
    upload_id = new_upload_id(now_millis)
    await client.upload_file(
        bucket.bucket_id,
        checked_marker_name(key, upload_id),
        b"",
        content_type=content_type(request.headers),
        file_info=marker_info(attributes, checksum),
    )
    headers = {}
    if checksum is not None:
        headers["x-amz-checksum-algorithm"] = checksum.algorithm.name
        headers["x-amz-checksum-type"] = checksum.type.value
    result = InitiateMultipartUploadResult(bucket.bucket_name, key, upload_id)
    return S3Response.xml(result.to_xml(), headers=headers)


def part_number_param(params: Mapping[str, str], name: str = "partNumber") -> int:
    text = params.get(name, "")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PART_NUMBER:
        raise errors.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName=name,
            ArgumentValue=text,
        )
    return int(text)


def _own_checksum(request: S3Request, upload: Upload) -> ChecksumAlgorithm | None:
    """The upload's algorithm when the gateway must compute it itself (the client sent none);
    a part carrying a different algorithm is refused as S3 does."""
    if upload.checksum is None:
        return None
    wanted = upload.checksum.algorithm
    sent = expectations(
        request.headers, content_sha256=None, trailers=tuple(_declared_trailers(request))
    ).checksum
    if sent is None:
        return wanted
    if sent is not wanted:
        raise errors.InvalidRequest(
            f"Checksum Type mismatch occurred, expected checksum Type: {wanted.value}, "
            f"actual checksum Type: {sent.value}"
        )
    return None


def _declared_trailers(request: S3Request) -> list[str]:
    declared = request.headers.get("x-amz-trailer", "")
    return [name.strip().lower() for name in declared.split(",") if name.strip()]


class _Hashing:
    """Passes the body through, computing one more checksum on the way."""

    def __init__(self, request: S3Request, algorithm: ChecksumAlgorithm | None) -> None:
        self._request = request
        self._algorithm = algorithm
        self._hasher = algorithm.hasher() if algorithm is not None else None

    def pieces(self) -> AsyncIterator[bytes]:
        if self._hasher is None:
            return aiter(self._request.body)  # nothing to add: no extra hop per piece
        return self._hashed(self._hasher)

    async def _hashed(self, hasher: Hasher) -> AsyncIterator[bytes]:
        async for piece in self._request.body:
            hasher.update(piece)
            yield piece

    def info(self, md5_hex: str | None = None) -> GatewayInfo:
        """The part's digests; only once the body has been read and verified. ``md5_hex`` is
        the ETag when the gateway declined to hash MD5 (B2 computed it)."""
        digest = self._request.body.verify()
        checksums = {a.name: v for a, v in digest.checksums.items()}
        if self._algorithm is not None and self._hasher is not None:
            checksums[self._algorithm.name] = base64.b64encode(self._hasher.digest()).decode()
        return GatewayInfo(etag=digest.md5_hex or md5_hex, checksums=checksums)


async def _store_part(
    ctx: Context, client: B2Client, bucket: Bucket, request: S3Request, *, name: str, upload: Upload
) -> GatewayInfo:
    length = declared_length(request, MAX_PART_BYTES)
    body = _Hashing(request, _own_checksum(request, upload))
    small = length <= ctx.put_buffer_bytes
    # Parts share PutObject's memory budget; a part that does not fit it streams instead.
    with ctx.buffer_budget.hold(length) if small else nullcontext(False) as buffered:
        if not buffered:
            target = LargeTarget(
                client, bucket.bucket_id, ctx.b2_max_simple_bytes, PART_CONTENT_TYPE
            )
            return await _store_streamed(target, request, body, name=name, length=length)
        held = await held_body(body.pieces())
        info = body.info()
        await client.upload_file(
            bucket.bucket_id,
            name,
            held,
            content_type=PART_CONTENT_TYPE,
            file_info=to_file_info(ObjectAttributes(gateway=info)),
        )
        return info


async def _store_streamed(
    target: LargeTarget, request: S3Request, body: _Hashing, *, name: str, length: int
) -> GatewayInfo:
    """Stream the part (as a B2 large file above B2's simple-upload limit). File info is fixed
    before the body, so digests known only at its end (a trailer, a checksum the gateway
    computes, a large file's MD5) are recorded by a server-side copy of the part onto itself.
    A simple file's MD5 is B2's (ListParts and Complete read its contentMd5): the gateway hashes
    MD5 only to check a Content-MD5."""
    declared = _known_up_front(request.headers)
    declared_info = to_file_info(ObjectAttributes(gateway=declared))

    async def finalize() -> None:
        # A part cut to exact lengths may not have asked for the body's end yet.
        await request.body.drain()
        body.info()  # raises the S3 error: the SHA-1 is never sent, B2 keeps nothing

    large = length > target.limit
    client = target.client
    if large:
        version = await target.upload(name, body.pieces(), length, declared_info, finalize)
    else:
        decline_md5_unless_declared(request, declared)
        version = await client.upload_file(
            target.bucket_id,
            name,
            UploadBody.one_shot(length, body.pieces()),
            content_type=PART_CONTENT_TYPE,
            file_info=declared_info,
            finalize=finalize,
        )
    info = body.info(None if large else reported_md5(version))
    md5_unknown_to_b2 = info.etag is None  # never seen: B2 gives every simple file an MD5
    if md5_unknown_to_b2:
        info = replace(info, etag=await read_back_md5(client, version.require_id()))
    # B2 keeps the MD5 of simple files itself; anything else missing must be recorded.
    if (
        info.checksums != declared.checksums
        or md5_unknown_to_b2
        or (large and declared.etag is None)
    ):
        staged = version.require_id()
        full_info = to_file_info(ObjectAttributes(gateway=info))
        if large:
            await target.copy(staged, length, name, full_info)
        else:
            await client.copy_file(
                staged, name, content_type=PART_CONTENT_TYPE, file_info=full_info
            )
        await client.delete_file_version(name, staged)
    return info


def part_response_headers(info: GatewayInfo) -> dict[str, str]:
    headers = {"ETag": quoted_etag(info.etag or "")}
    for name, value in info.checksums.items():
        headers[ChecksumAlgorithm[name].header] = value
    return headers


async def upload_part(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.UploadPart, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    number = part_number_param(request.params)
    upload_id = request.params.get("uploadId", "")
    upload = await find_upload(client, bucket, key, upload_id)
    info = await _store_part(
        ctx, client, bucket, request, name=part_name(upload_id, number), upload=upload
    )
    return S3Response(200, part_response_headers(info))


async def abort_multipart_upload(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.AbortMultipartUpload, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    upload = await find_upload(client, bucket, key, request.params.get("uploadId", ""))
    await delete_upload(client, bucket, upload)
    return S3Response(204)


def _utc(millis: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)


async def list_parts_handler(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.ListParts, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    upload_id = request.params.get("uploadId", "")
    upload = await find_upload(client, bucket, key, upload_id)
    marker = int_param(request.params, "part-number-marker", 0, MAX_PART_NUMBER)
    max_parts = int_param(request.params, "max-parts", MAX_PARTS_LISTED, MAX_PARTS_LISTED)
    parts, truncated = await list_parts(client, bucket, upload_id, after=marker, limit=max_parts)
    entries = [
        PartEntry(
            part_number=p.number,
            last_modified=_utc(p.last_modified),
            etag=quoted_etag(p.etag),
            size=p.size,
            checksums=p.checksums,
        )
        for p in parts
    ]
    result = ListPartsResult(
        bucket=bucket.bucket_name,
        key=key,
        upload_id=upload_id,
        parts=entries,
        part_number_marker=marker,
        next_part_number_marker=parts[-1].number if parts else None,
        max_parts=max_parts,
        is_truncated=truncated,
    )
    headers = {}
    if upload.checksum is not None:
        headers["x-amz-checksum-algorithm"] = upload.checksum.algorithm.name
        headers["x-amz-checksum-type"] = upload.checksum.type.value
    return S3Response.xml(result.to_xml(), headers=headers)
