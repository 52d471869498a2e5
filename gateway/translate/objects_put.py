"""PutObject: one S3 body -> one B2 file version, never committing a body S3 would refuse.

Bodies up to ``Context.put_buffer_bytes`` are read into memory, verified, and uploaded as
replayable bytes: B2 failures are retried on fresh upload URLs, and the MD5 ETag and client
checksums go into file info up front. Larger bodies stream to B2 with the SHA-1 sent at the end,
and ``RequestBody.verify()`` runs before that SHA-1 goes out: if any S3-side check fails the
upload is aborted and B2 stores nothing.
"""

from __future__ import annotations

from contextlib import nullcontext, suppress
from dataclasses import replace

from gateway.b2 import B2Client, Bucket, FileVersion, UploadBody
from gateway.b2.errors import B2Error
from gateway.s3 import errors
from gateway.s3.checksums import BodyDigest, ChecksumAlgorithm, expectations
from gateway.s3.messages import Headers, S3Request, S3Response
from gateway.s3.operations import Op
from gateway.translate.context import Context, require_key, resolve_bucket
from gateway.translate.headers import check_headers
from gateway.translate.large_files import LargeTarget
from gateway.translate.mapping import (
    GatewayInfo,
    ObjectAttributes,
    attributes_from_headers,
    to_file_info,
)
from gateway.translate.names import RESERVED_ROOT, b2_name

MAX_PUT_BYTES = 5 * 1024**3  # S3's limit for one PutObject
STAGING_ROOT = RESERVED_ROOT + "staging/"  # large PUTs whose ETag is known only at the end
DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when the client sends none
_PLACEHOLDER_ETAG = "0" * 32


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [(name, value) for name in headers for value in headers.get_all(name)]


def object_attributes(headers: Headers) -> ObjectAttributes:
    """Metadata and content headers, refused (before any byte moves) if B2 cannot hold them."""
    attributes = attributes_from_headers(header_pairs(headers))
    # Count the gateway's own entry now, so the entry limit refuses before the upload.
    to_file_info(replace(attributes, gateway=GatewayInfo(etag=_PLACEHOLDER_ETAG)))
    return attributes


def content_type(headers: Headers) -> str:
    return headers.get("content-type") or DEFAULT_CONTENT_TYPE


def checksum_headers(checksums: dict[ChecksumAlgorithm, str] | BodyDigest) -> dict[str, str]:
    values = checksums.checksums if isinstance(checksums, BodyDigest) else checksums
    if not values:
        return {}
    return {
        **{algorithm.header: value for algorithm, value in values.items()},
        "x-amz-checksum-type": "FULL_OBJECT",
    }


def _declared_length(request: S3Request) -> int:
    length = request.body.length
    if length is None:
        raise errors.MissingContentLength()
    if length > MAX_PUT_BYTES:
        raise errors.EntityTooLarge(ProposedSize=length, MaxSizeAllowed=MAX_PUT_BYTES)
    return length


def _known_up_front(headers: Headers) -> GatewayInfo:
    """The ETag and checksum a client declared in headers (the body is checked against them)."""
    expected = expectations(headers, content_sha256=None)
    etag = expected.content_md5.hex() if expected.content_md5 is not None else None
    checksums = {}
    if expected.checksum is not None and expected.checksum_value is not None:
        checksums[expected.checksum.name] = expected.checksum_value
    return GatewayInfo(etag=etag, checksums=checksums)


def _gateway_info(digest: BodyDigest) -> GatewayInfo:
    return GatewayInfo(
        etag=digest.md5_hex,
        checksums={algorithm.name: value for algorithm, value in digest.checksums.items()},
    )


async def put_object(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.PutObject, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    name = b2_name(key)
    attributes = object_attributes(request.headers)
    length = _declared_length(request)
    small = length <= min(ctx.put_buffer_bytes, ctx.b2_max_simple_bytes)
    with ctx.buffer_budget.hold(length) if small else nullcontext(False) as buffered:
        if buffered:
            version, digest = await _put_buffered(client, bucket, name, request, attributes)
        else:
            version, digest = await _put_streamed(
                ctx, client, bucket, name, request=request, attributes=attributes
            )
    headers = {"ETag": digest.etag, "x-amz-version-id": version.require_id()}
    return S3Response(200, {**headers, **checksum_headers(digest)})


async def _put_buffered(
    client: B2Client, bucket: Bucket, name: str, request: S3Request, attributes: ObjectAttributes
) -> tuple[FileVersion, BodyDigest]:
    data = bytearray()
    async for piece in request.body:
        data += piece
    digest = request.body.verify()
    info = to_file_info(replace(attributes, gateway=_gateway_info(digest)))
    version = await client.upload_file(
        bucket.bucket_id,
        name,
        bytes(data),
        content_type=content_type(request.headers),
        file_info=info,
    )
    return version, digest


async def _put_streamed(
    ctx: Context,
    client: B2Client,
    bucket: Bucket,
    name: str,
    *,
    request: S3Request,
    attributes: ObjectAttributes,
) -> tuple[FileVersion, BodyDigest]:
    length = _declared_length(request)
    known = _known_up_front(request.headers)
    info = to_file_info(replace(attributes, gateway=known))
    kind = content_type(request.headers)

    async def finalize() -> None:
        # Raises the S3 error before B2 gets the last SHA-1: B2 keeps nothing.
        await request.body.drain()

    if length <= ctx.b2_max_simple_bytes:
        body = UploadBody.one_shot(length, aiter(request.body))
        version = await client.upload_file(
            bucket.bucket_id, name, body, content_type=kind, file_info=info, finalize=finalize
        )
        return version, request.body.verify()
    large = LargeTarget(client, bucket.bucket_id, ctx.b2_max_simple_bytes, kind)
    if known.etag is not None:
        version = await large.upload(name, aiter(request.body), length, info, finalize)
        return version, request.body.verify()
    # B2 keeps no MD5 for large files and their file info is fixed before the bytes flow: stage
    # the bytes under a reserved name, then copy them (server-side) to the key with the ETag.
    staging = f"{STAGING_ROOT}{ctx.new_token()}"
    staged = await large.upload(staging, aiter(request.body), length, info, finalize)
    try:
        digest = request.body.verify()
        final = to_file_info(replace(attributes, gateway=_gateway_info(digest)))
        version = await large.copy(staged.require_id(), length, name, final)
    finally:
        with suppress(B2Error):
            await client.delete_file_version(staging, staged.require_id())
    return version, digest
