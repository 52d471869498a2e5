"""PutObject: one S3 body -> one B2 file version, never committing a body S3 would refuse.

Bodies up to ``Context.put_buffer_bytes`` are read into memory, verified, and uploaded as
replayable bytes: B2 failures are retried on fresh upload URLs, and the MD5 ETag and client
checksums go into file info up front. Larger bodies stream to B2 with the SHA-1 sent at the end,
and ``RequestBody.verify()`` runs before that SHA-1 goes out: if any S3-side check fails the
upload is aborted and B2 stores nothing.

A streamed body's file info is fixed before its bytes flow, so its ETag cannot go there anyway:
unless Content-MD5 must be checked, the gateway does not hash MD5 at all and answers with the
``contentMd5`` B2 computed of what it stored (what GET/HEAD/listings read too). Objects above B2's
simple-upload limit become large files, which have no contentMd5: those keep the gateway's MD5.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import nullcontext, suppress
from dataclasses import replace

from gateway.b2 import B2Client, Bucket, FileVersion, UploadBody
from gateway.b2.errors import B2Error
from gateway.s3 import errors
from gateway.s3.checksums import BodyDigest, ChecksumAlgorithm, expectations
from gateway.s3.messages import Headers, S3Request, S3Response
from gateway.s3.operations import Op
from gateway.translate.context import Context, require_key, resolve_bucket
from gateway.translate.etags import reported_md5
from gateway.translate.headers import check_headers
from gateway.translate.large_files import LargeTarget
from gateway.translate.mapping import (
    GatewayInfo,
    ObjectAttributes,
    attributes_from_headers,
    quoted_etag,
    to_file_info,
)
from gateway.translate.names import RESERVED_ROOT, b2_name

MAX_PUT_BYTES = 5 * 1024**3  # S3's limit for one PutObject
STAGING_ROOT = RESERVED_ROOT + "staging/"  # large PUTs whose ETag is known only at the end
DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when the client sends none
_PLACEHOLDER_ETAG = "0" * 32
MIN_HELD_PIECE = 16 * 1024  # smaller pieces of a held body are merged


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


def checksum_headers(info: GatewayInfo) -> dict[str, str]:
    if not info.checksums:
        return {}
    return {
        **{ChecksumAlgorithm[name].header: value for name, value in info.checksums.items()},
        "x-amz-checksum-type": "FULL_OBJECT",
    }


def declared_length(request: S3Request, limit: int) -> int:
    """The body's declared length, refused as S3 does when absent or above ``limit``."""
    length = request.body.length
    if length is None:
        raise errors.MissingContentLength()
    if length > limit:
        raise errors.EntityTooLarge(ProposedSize=length, MaxSizeAllowed=limit)
    return length


def _known_up_front(headers: Headers) -> GatewayInfo:
    """The ETag and checksum a client declared in headers (the body is checked against them)."""
    expected = expectations(headers, content_sha256=None)
    etag = expected.content_md5.hex() if expected.content_md5 is not None else None
    checksums = {}
    if expected.checksum is not None and expected.checksum_value is not None:
        checksums[expected.checksum.name] = expected.checksum_value
    return GatewayInfo(etag=etag, checksums=checksums)


def _gateway_info(digest: BodyDigest, md5_hex: str | None = None) -> GatewayInfo:
    """The verified body's ETag (``md5_hex`` when the gateway declined to hash it) and
    checksums."""
    return GatewayInfo(
        etag=digest.md5_hex or md5_hex,
        checksums={algorithm.name: value for algorithm, value in digest.checksums.items()},
    )


def decline_md5_unless_declared(request: S3Request, declared: GatewayInfo) -> None:
    """Before streaming a body as a B2 simple file: B2 answers with the MD5 of what it stored,
    so the gateway hashes MD5 only to check a Content-MD5 the client sent."""
    if declared.etag is None:
        request.body.decline_md5()


async def read_back_md5(client: B2Client, file_id: str) -> str:
    """The MD5 of a stored file, by reading it back. Only for a simple upload whose answer
    lacked the contentMd5 B2 documents for every simple file (never seen from B2): slow but
    right, where a made-up ETag would break clients that check ETag = MD5."""
    md5 = hashlib.md5(usedforsecurity=False)
    async with client.download_by_id(file_id) as stream:
        async for chunk in stream.iter_chunks():
            md5.update(chunk)
    return md5.hexdigest()


async def put_object(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.PutObject, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    name = b2_name(key)
    attributes = object_attributes(request.headers)
    length = declared_length(request, MAX_PUT_BYTES)
    small = length <= min(ctx.put_buffer_bytes, ctx.b2_max_simple_bytes)
    with ctx.buffer_budget.hold(length) if small else nullcontext(False) as buffered:
        if buffered:
            version, info = await _put_buffered(client, bucket, name, request, attributes)
        else:
            version, info = await _put_streamed(
                ctx, client, bucket, name, request=request, attributes=attributes, length=length
            )
            if info.etag is not None:
                # Often not in file info (B2's contentMd5): spare this replica's GET/HEAD the
                # b2_get_file_info that would learn it (a file version never changes).
                ctx.known_etags.put(version.require_id(), info.etag)
    headers = {"ETag": quoted_etag(info.etag or ""), "x-amz-version-id": version.require_id()}
    return S3Response(200, {**headers, **checksum_headers(info)})


async def held_body(pieces: AsyncIterator[bytes]) -> UploadBody:
    """A small body read into memory (replayable on B2 failures), held as the pieces it arrived
    in: joining them would copy every byte. Runs of small pieces are merged, so a body dribbled
    in tiny pieces holds no more than its size."""
    chunks: list[bytes] = []
    run = bytearray()
    async for piece in pieces:
        if not run and len(piece) >= MIN_HELD_PIECE:
            chunks.append(piece)
            continue
        run += piece
        if len(run) >= MIN_HELD_PIECE:
            chunks.append(bytes(run))
            run.clear()
    if run:
        chunks.append(bytes(run))
    return UploadBody.from_chunks(chunks)


async def _put_buffered(
    client: B2Client, bucket: Bucket, name: str, request: S3Request, attributes: ObjectAttributes
) -> tuple[FileVersion, GatewayInfo]:
    body = await held_body(aiter(request.body))
    info = _gateway_info(request.body.verify())
    version = await client.upload_file(
        bucket.bucket_id,
        name,
        body,
        content_type=content_type(request.headers),
        file_info=to_file_info(replace(attributes, gateway=info)),
    )
    return version, info


async def _put_streamed(
    ctx: Context,
    client: B2Client,
    bucket: Bucket,
    name: str,
    *,
    request: S3Request,
    attributes: ObjectAttributes,
    length: int,
) -> tuple[FileVersion, GatewayInfo]:
    known = _known_up_front(request.headers)
    info = to_file_info(replace(attributes, gateway=known))
    kind = content_type(request.headers)

    async def finalize() -> None:
        # Raises the S3 error before B2 gets the last SHA-1: B2 keeps nothing.
        await request.body.drain()

    if length <= ctx.b2_max_simple_bytes:
        decline_md5_unless_declared(request, known)
        body = UploadBody.one_shot(length, aiter(request.body))
        version = await client.upload_file(
            bucket.bucket_id, name, body, content_type=kind, file_info=info, finalize=finalize
        )
        digest = request.body.verify()
        md5 = digest.md5_hex or reported_md5(version)
        if md5 is None:
            return await _record_read_back_md5(client, version, kind, attributes, digest)
        return version, _gateway_info(digest, md5)
    large = LargeTarget(client, bucket.bucket_id, ctx.b2_max_simple_bytes, kind)
    if known.etag is not None:
        version = await large.upload(name, aiter(request.body), length, info, finalize)
        return version, _gateway_info(request.body.verify())
    # B2 keeps no MD5 for large files and their file info is fixed before the bytes flow: stage
    # the bytes under a reserved name, then copy them (server-side) to the key with the ETag.
    staging = f"{STAGING_ROOT}{ctx.new_token()}"
    staged = await large.upload(staging, aiter(request.body), length, info, finalize)
    try:
        found = _gateway_info(request.body.verify())
        final = to_file_info(replace(attributes, gateway=found))
        version = await large.copy(staged.require_id(), length, name, final)
    finally:
        with suppress(B2Error):
            await client.delete_file_version(staging, staged.require_id())
    return version, found


async def _record_read_back_md5(
    client: B2Client,
    version: FileVersion,
    kind: str,
    attributes: ObjectAttributes,
    digest: BodyDigest,
) -> tuple[FileVersion, GatewayInfo]:
    """B2 gave no MD5 for a streamed simple upload: read it back, and record it in file info
    (where GET, HEAD and listings look first) by a server-side copy replacing the upload."""
    file_id = version.require_id()
    found = _gateway_info(digest, await read_back_md5(client, file_id))
    final = to_file_info(replace(attributes, gateway=found))
    recorded = await client.copy_file(
        file_id, version.file_name, content_type=kind, file_info=final
    )
    with suppress(B2Error):  # a leftover older version is harmless: the answer is right
        await client.delete_file_version(version.file_name, file_id)
    return recorded, found
