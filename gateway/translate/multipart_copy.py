"""UploadPartCopy: a byte range of an existing object becomes a part of a multipart upload.

B2 has no MD5 for a copied range, and a part's ETag is its MD5: the gateway reads the range once
(streaming, bounded memory) to compute the MD5 and the upload's checksum, then copies the range
server-side (``multipart_assembly``: one ``b2_copy_file``, or copied parts above B2's copy
limit) with those digests in the part's file info. The
source is pinned by its version id, so the bytes hashed are the bytes copied.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

from gateway.b2 import B2Client, ByteRange, FileVersion
from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import copy_part_result
from gateway.translate.context import Context, identity_of, require_key, resolve_bucket

# The source lookup and copy-source conditions are CopyObject's, shared as they are.
from gateway.translate.copy_object import (
    _check_conditions,
    _source_version,
    parse_copy_source,
)
from gateway.translate.etags import fallback_etag, stored_etag
from gateway.translate.headers import check_headers
from gateway.translate.mapping import GatewayInfo, ObjectAttributes, quoted_etag, to_file_info
from gateway.translate.multipart import MAX_PART_BYTES, PART_CONTENT_TYPE, part_number_param
from gateway.translate.multipart_assembly import CopyTarget, Piece, assemble, split
from gateway.translate.multipart_store import find_upload, part_name

_HANDLED = frozenset(
    {
        "x-amz-copy-source",
        "x-amz-copy-source-range",
        "x-amz-copy-source-if-match",
        "x-amz-copy-source-if-none-match",
        "x-amz-copy-source-if-modified-since",
        "x-amz-copy-source-if-unmodified-since",
    }
)
_RANGE = re.compile(r"bytes=(\d+)-(\d+)")


def copy_range(header: str | None, size: int) -> ByteRange | None:
    """``x-amz-copy-source-range`` (``bytes=first-last``, both required) within the source;
    None copies the whole source."""
    if header is None:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None or int(found[1]) > int(found[2]):
        raise errors.InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
            "and last are the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=header,
        )
    first, last = int(found[1]), int(found[2])
    if last >= size:
        raise errors.InvalidRange(RangeRequested=header)
    return ByteRange(first, last)


async def _digests(
    client: B2Client, source_id: str, span: ByteRange | None, algorithm: ChecksumAlgorithm | None
) -> GatewayInfo:
    md5 = hashlib.md5(usedforsecurity=False)
    checksum = algorithm.hasher() if algorithm is not None else None
    async with client.download_by_id(source_id, byte_range=span) as stream:
        async for chunk in stream.iter_chunks():
            md5.update(chunk)
            if checksum is not None:
                checksum.update(chunk)
    checksums = {}
    if algorithm is not None and checksum is not None:
        checksums[algorithm.name] = base64.b64encode(checksum.digest()).decode()
    return GatewayInfo(etag=md5.hexdigest(), checksums=checksums)


def _pieces(source_id: str, span: ByteRange | None, size: int, ctx: Context) -> list[Piece]:
    first, last = (0, size - 1) if span is None or span.end is None else (span.start, span.end)
    if last - first + 1 > MAX_PART_BYTES:
        raise errors.EntityTooLarge(ProposedSize=last - first + 1, MaxSizeAllowed=MAX_PART_BYTES)
    if last - first + 1 <= ctx.b2_max_simple_bytes:
        return [Piece(source_id, span)]
    return split(source_id, first, last - first + 1, ctx.b2_max_simple_bytes)


async def _source(client: B2Client, request: S3Request) -> FileVersion:
    """The source version, after the caller's access and the copy-source conditions."""
    source = parse_copy_source(request.headers.get("x-amz-copy-source", ""))
    if not identity_of(request).allows_bucket(source.bucket):
        raise errors.AccessDenied()
    source_bucket = await client.get_bucket(source.bucket)
    if source_bucket is None:
        raise errors.NoSuchBucket(BucketName=source.bucket)
    version: FileVersion = await _source_version(client, source_bucket, source)
    etag = stored_etag(version.file_info, version.content_md5)
    _check_conditions(request.headers, etag or fallback_etag(version.require_id()), version)
    return version


async def upload_part_copy(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.UploadPartCopy, request.headers, ctx.on_ignored_header, handled=_HANDLED)
    parse_copy_source(request.headers.get("x-amz-copy-source", ""))  # refuse before any call
    number = part_number_param(request.params)
    client, bucket = await resolve_bucket(ctx, request)
    upload_id = request.params.get("uploadId", "")
    upload = await find_upload(client, bucket, key, upload_id)
    version = await _source(client, request)
    source_id = version.require_id()
    span = copy_range(request.headers.get("x-amz-copy-source-range"), version.content_length)
    pieces = _pieces(source_id, span, version.content_length, ctx)
    algorithm = upload.checksum.algorithm if upload.checksum is not None else None
    info = await _digests(client, source_id, span, algorithm)
    target = CopyTarget(
        client,
        bucket.bucket_id,
        part_name(upload_id, number),
        PART_CONTENT_TYPE,
        to_file_info(ObjectAttributes(gateway=info)),
    )
    copied = await assemble(target, pieces)
    checksums = {ChecksumAlgorithm[name]: value for name, value in info.checksums.items()}
    result = copy_part_result(
        quoted_etag(info.etag or ""),
        dt.datetime.fromtimestamp(copied.upload_timestamp / 1000, tz=dt.UTC),
        checksums,
    )
    return S3Response.xml(result.to_xml(), headers={"x-amz-copy-source-version-id": source_id})
