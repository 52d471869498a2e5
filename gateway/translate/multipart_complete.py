"""CompleteMultipartUpload: validate the client's part list, then assemble the object in B2.

Validation (unknown part or ETag/checksum mismatch -> InvalidPart, a non-last part under 5 MiB
-> EntityTooSmall) reads only the marker and the part listing, so its errors keep their own
HTTP status. Assembly is server-side (``multipart_assembly``) with every file info entry now
known; parts above B2's 5 GB copy limit are split into pieces, and B2's 1..N numbering is the
pieces' order, so S3's gaps do not matter. Then the temporary files and the marker are deleted.

An assembly still running after ``keepalive_seconds`` is answered as S3 does: 200 at once,
whitespace while working, then the result or an error document in the body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote

from gateway.b2 import B2Client, Bucket, FileQuery, FileVersion
from gateway.b2.errors import B2Error
from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import CompleteMultipartUploadResult
from gateway.s3.xml_bodies import CompletedPart, parse_complete_multipart
from gateway.translate.context import Context, require_key, resolve_bucket
from gateway.translate.errors import Target, s3_error
from gateway.translate.headers import check_headers
from gateway.translate.mapping import (
    GatewayInfo,
    PartLayout,
    from_file_info,
    quoted_etag,
    to_file_info,
)
from gateway.translate.multipart_assembly import CopyTarget, Piece, assemble, split
from gateway.translate.multipart_store import (
    StoredPart,
    Upload,
    delete_upload,
    find_upload,
    list_parts,
)
from gateway.translate.multipart_sums import multipart_etag, object_checksum
from gateway.translate.names import b2_name

log = logging.getLogger(__name__)

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum for every part but the last
KEEPALIVE_SECONDS = 10.0
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def chosen_parts(
    upload_id: str, requested: Sequence[CompletedPart], stored: Mapping[int, StoredPart]
) -> list[StoredPart]:
    """The stored parts the client's list names, checked as S3 checks them."""
    chosen = []
    for index, wanted in enumerate(requested):
        part = stored.get(wanted.part_number)
        etag = wanted.etag.strip('"')
        mismatched = part is not None and any(
            part.checksums.get(algorithm) != value for algorithm, value in wanted.checksums.items()
        )
        if part is None or part.etag != etag or mismatched:
            raise errors.InvalidPart(
                UploadId=upload_id, PartNumber=wanted.part_number, ETag=wanted.etag
            )
        if index < len(requested) - 1 and part.size < MIN_PART_BYTES:
            raise errors.EntityTooSmall(
                ProposedSize=part.size,
                MinSizeAllowed=MIN_PART_BYTES,
                PartNumber=wanted.part_number,
                ETag=wanted.etag,
            )
        chosen.append(part)
    return chosen


def pieces_of(parts: Sequence[StoredPart], limit: int) -> list[Piece]:
    """B2 parts in order: each S3 part whole, or split when above B2's copy ``limit``; empty
    parts are dropped (B2 parts hold at least a byte)."""
    pieces: list[Piece] = []
    for part in parts:
        if part.size <= limit:
            pieces += [Piece(part.file_id, None)] if part.size else []
        else:
            pieces += split(part.file_id, 0, part.size, limit)
    return pieces


async def _all_parts(client: B2Client, bucket: Bucket, upload_id: str) -> dict[int, StoredPart]:
    parts, _ = await list_parts(client, bucket, upload_id, after=0, limit=10_000)
    return {p.number: p for p in parts}


@dataclass(frozen=True)
class Assembly:
    """Everything Complete needs once the part list has been validated."""

    client: B2Client
    bucket: Bucket
    upload: Upload
    parts: Sequence[StoredPart]
    info: GatewayInfo  # the object's ETag and checksum
    limit: int  # B2's limit for one copy


async def _assemble(job: Assembly) -> FileVersion:
    upload = job.upload
    target = CopyTarget(
        job.client,
        job.bucket.bucket_id,
        b2_name(upload.key),
        upload.content_type,
        to_file_info(replace(upload.attributes, gateway=job.info)),
    )
    # An empty object: one copy of its (empty) single part.
    pieces = pieces_of(job.parts, job.limit) or [Piece(job.parts[0].file_id, None)]
    return await assemble(target, pieces)


async def _finish(job: Assembly) -> S3Response:
    version = await _assemble(job)
    try:
        await delete_upload(job.client, job.bucket, job.upload)
    except B2Error:  # the object exists; leftovers only cost storage and stay abortable
        log.warning("could not remove the parts of upload %s", job.upload.upload_id, exc_info=True)
    return _completed(job.bucket, job.upload.key, job.info, version.require_id())


def _completed(bucket: Bucket, key: str, info: GatewayInfo, version_id: str) -> S3Response:
    checksums = {ChecksumAlgorithm[name]: value for name, value in info.checksums.items()}
    result = CompleteMultipartUploadResult(
        location=f"/{bucket.bucket_name}/{quote(key)}",
        bucket=bucket.bucket_name,
        key=key,
        etag=quoted_etag(info.etag or ""),
        checksums=checksums,
    )
    headers = {"x-amz-version-id": version_id}
    if checksums:  # a composite checksum ends in "-<parts>"
        composite = any("-" in value for value in checksums.values())
        headers["x-amz-checksum-type"] = "COMPOSITE" if composite else "FULL_OBJECT"
    return S3Response.xml(result.to_xml(), headers=headers)


async def _completed_before(
    client: B2Client, bucket: Bucket, key: str, requested: Sequence[CompletedPart]
) -> S3Response | None:
    """A retried Complete whose first attempt succeeded finds its upload gone; S3 answers it
    with success again. The object at ``key`` was made from exactly the requested parts when its
    ETag is the one their ETags give (stateless: no record of past uploads is kept)."""
    try:
        expected = multipart_etag([p.etag.strip('"') for p in requested])
    except ValueError:  # not hex MD5s: no part of ours
        return None
    name = b2_name(key)
    page = await client.list_file_names(
        bucket.bucket_id, FileQuery(start_file_name=name, max_file_count=1)
    )
    found = next((f for f in page.files if f.file_name == name and f.action == "upload"), None)
    if found is None:
        return None
    info = from_file_info(found.file_info).gateway
    return _completed(bucket, key, info, found.require_id()) if info.etag == expected else None


def _refuse_conditional_writes(request: S3Request) -> None:
    for header in ("if-match", "if-none-match"):
        if header in request.headers:
            raise errors.NotImplemented(
                f"Conditional writes are not supported ({header})", Header=header
            )


def _check_claimed_checksum(
    request: S3Request, algorithm: ChecksumAlgorithm | None, computed: str | None
) -> None:
    """A client may state the whole object's checksum on Complete; S3 holds it to that."""
    claimed = None if algorithm is None else request.headers.get(algorithm.header)
    if claimed is not None and claimed.strip() != computed:
        assert algorithm is not None
        raise errors.BadDigest(
            f"The {algorithm.name} you specified did not match the calculated checksum."
        )


async def complete_multipart_upload(
    ctx: Context, request: S3Request, *, keepalive_seconds: float | None = None
) -> S3Response:
    key = require_key(request)
    check_headers(Op.CompleteMultipartUpload, request.headers, ctx.on_ignored_header)
    _refuse_conditional_writes(request)
    client, bucket = await resolve_bucket(ctx, request)
    upload_id = request.params.get("uploadId", "")
    try:
        requested = parse_complete_multipart(await request.body.read_all())
    except errors.InvalidPartOrder as refused:
        raise errors.InvalidPartOrder(UploadId=upload_id) from refused
    try:
        upload = await find_upload(client, bucket, key, upload_id)
    except errors.NoSuchUpload:
        again = await _completed_before(client, bucket, key, requested)
        if again is None:
            raise
        return again
    parts = chosen_parts(upload_id, requested, await _all_parts(client, bucket, upload_id))
    algorithm = upload.checksum.algorithm if upload.checksum is not None else None
    digests = [p.digest(algorithm) for p in parts]
    checksum = None if upload.checksum is None else object_checksum(upload.checksum, digests)
    _check_claimed_checksum(request, algorithm, checksum)
    info = GatewayInfo(
        etag=multipart_etag([p.etag for p in parts]),
        checksums={} if checksum is None or algorithm is None else {algorithm.name: checksum},
        parts=PartLayout.of(p.size for p in parts),
    )
    job = Assembly(client, bucket, upload, parts, info, ctx.b2_max_simple_bytes)
    work = asyncio.ensure_future(_finish(job))
    interval = KEEPALIVE_SECONDS if keepalive_seconds is None else keepalive_seconds
    done, _ = await asyncio.wait({work}, timeout=interval)
    if done:
        return work.result()
    target = Target(bucket.bucket_name, key, None)
    body = _kept_alive(work, interval, target, request.request_id)
    return S3Response(200, {"Content-Type": "application/xml"}, body)


async def _kept_alive(
    work: asyncio.Future[S3Response], interval: float, target: Target, request_id: str
) -> AsyncIterator[bytes]:
    """The declaration, a space per ``interval`` while ``work`` runs, then its document.
    A client that goes away does not stop the assembly (the object is still made)."""
    work.add_done_callback(_log_failure)
    yield _XML_DECLARATION
    while not work.done():
        await asyncio.wait({work}, timeout=interval)
        if not work.done():
            yield b" "
    try:
        document = _body_of(work.result())
    except errors.S3Error as error:
        document = error.to_xml(request_id)
    except B2Error as error:
        document = s3_error(error, target).to_xml(request_id)
    except Exception:
        log.exception("completing a multipart upload failed")
        document = errors.InternalError().to_xml(request_id)
    yield document.removeprefix(_XML_DECLARATION)


def _body_of(response: S3Response) -> bytes:
    assert isinstance(response.body, bytes)
    return response.body


def _log_failure(work: asyncio.Future[S3Response]) -> None:
    if not work.cancelled() and work.exception() is not None:
        log.info("multipart assembly ended with %r", work.exception())
