"""Server-side copies: b2_copy_file shares the source's blobs; b2_copy_part shares the blob range
when the copied bytes lie in one blob (a simple file, or within one part of a large file) and
copies them into a new part blob otherwise. Sources must be finished files.

Sharing is what makes a copy server-side: like B2's, it moves no bytes through the caller, so a
gateway assembling an object from staged parts pays calls, not a second transfer."""

from __future__ import annotations

import hashlib

from gateway.emulator.api_large import (
    MAX_PART_BYTES,
    record_part,
    request_file_info,
    save_part,
    started_file,
)
from gateway.emulator.auth import AccountGrant
from gateway.emulator.blobs import BlobStore
from gateway.emulator.content import parse_range, read_segments, slice_segments
from gateway.emulator.errors import B2Error, bad_request, not_found
from gateway.emulator.models import FileVersion, Segment, minter
from gateway.emulator.receive import Received
from gateway.emulator.rules import (
    MAX_SIMPLE_FILE_BYTES,
    check_content_type,
    check_file_name,
    header_budget,
)
from gateway.emulator.state import Call
from gateway.emulator.views import JsonDict, file_json


async def _source(call: Call, grant: AccountGrant) -> tuple[FileVersion, list[Segment]]:
    """The finished source file and the segments of the requested range of it."""
    file_id = call.params.text("sourceFileId")
    source = await call.state.store.meta(lambda db: db.get_version(file_id))
    if source is None or source.action != "upload":
        raise not_found(f"File not present: {file_id}")
    grant.require_bucket(source.bucket_id)
    grant.require_name(source.name)
    if (await call.state.bucket(source.bucket_id)).bucket_type != "allPublic":
        grant.require("readFiles")
    segments = await call.state.store.meta(lambda db: db.segments(file_id))
    byte_range = parse_range(call.params.str_or_none("range"), source.content_length)
    if byte_range is not None:
        segments = slice_segments(segments, byte_range.start, byte_range.length)
    return source, segments


async def _digests(blobs: BlobStore, segments: list[Segment]) -> tuple[str, str]:
    sha1, md5 = hashlib.sha1(), hashlib.md5()  # noqa: S324 - B2's own checksums
    async for chunk in read_segments(blobs, segments):
        sha1.update(chunk)
        md5.update(chunk)
    return sha1.hexdigest(), md5.hexdigest()


def _own_digests(source: FileVersion, length: int) -> tuple[str, str] | None:
    """The source's stored digests when all of it is copied and they are real ones (B2 gives a
    part the real SHA-1 even when the source was stored "unverified:")."""
    sha1, md5 = source.sha1, source.md5
    if length != source.content_length or sha1 is None or md5 is None:
        return None
    return None if sha1.startswith("unverified:") else (sha1, md5)


def _metadata(
    call: Call, source: FileVersion, name: str, budget_bytes: int
) -> tuple[str, dict[str, str]]:
    directive = call.params.str_or_none("metadataDirective") or "COPY"
    if directive == "COPY":
        if call.params.has("contentType") or call.params.has("fileInfo"):
            raise bad_request("contentType and fileInfo are only allowed with REPLACE")
        return source.content_type, dict(source.info)
    if directive != "REPLACE":
        raise bad_request(f"Invalid metadataDirective: {directive}")
    content_type = check_content_type(call.params.text("contentType"), name)
    return content_type, request_file_info(call.params, name, budget_bytes)


def _destination_sse(call: Call, default: str | None) -> str | None:
    setting = call.params.dict_or_none("destinationServerSideEncryption")
    if setting is None:
        return default
    if setting.get("mode") not in ("SSE-B2", "none", None):
        raise bad_request("only SSE-B2 destination encryption is supported")
    return "SSE-B2" if setting.get("mode") == "SSE-B2" else None


async def copy_file(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    source, segments = await _source(call, grant)
    name = check_file_name(call.params.text("fileName"))
    grant.require_name(name)
    bucket_id = call.params.str_or_none("destinationBucketId") or source.bucket_id
    bucket = await call.bucket_for(grant, bucket_id)
    length = sum(s.length for s in segments)
    if length > MAX_SIMPLE_FILE_BYTES:
        raise B2Error(400, "source_too_large", f"Copy source too big: {length}")
    sse_mode = _destination_sse(call, bucket.sse_mode)
    budget = header_budget(sse_mode, bucket.file_lock_enabled)
    content_type, info = _metadata(call, source, name, budget)
    whole = length == source.content_length
    sha1, md5 = (
        (source.sha1, source.md5) if whole else await _digests(call.state.store.blobs, segments)
    )
    draft = FileVersion(
        file_id="",
        bucket_id=bucket.bucket_id,
        name=name,
        action="upload",
        content_type=content_type,
        upload_ts=call.state.now_ms(),
        content_length=length,
        sha1=sha1,
        md5=md5,
        info=info,
        sse_mode=sse_mode,
    )
    mint = minter(call.state.rng, draft)
    copied = await call.state.store.meta(lambda db: db.add_version(mint, segments))
    return file_json(copied, call.view(grant), action="copy")


async def copy_part(call: Call) -> JsonDict:
    grant = call.account("writeFiles")
    large = await started_file(call, grant, call.params.text("largeFileId"))
    number = call.params.integer("partNumber")
    if not 1 <= number <= 10_000:
        raise bad_request(f"partNumber must be 1 to 10000: {number}")
    source, segments = await _source(call, grant)
    length = sum(s.length for s in segments)
    if length > MAX_PART_BYTES:
        raise bad_request(f"Part too big: {length}")
    blobs = call.state.store.blobs
    if len(segments) == 1:
        digests = _own_digests(source, length) or await _digests(blobs, segments)
        return await record_part(call, large, number, segments[0], digests, owned=False)
    received = await _copy_to_blob(blobs, segments)
    return await save_part(call, large, number, received)


async def _copy_to_blob(blobs: BlobStore, segments: list[Segment]) -> Received:
    writer = await blobs.new_writer()
    sha1, md5 = hashlib.sha1(), hashlib.md5()  # noqa: S324 - B2's own checksums
    try:
        async for chunk in read_segments(blobs, segments):
            sha1.update(chunk)
            md5.update(chunk)
            await writer.write(chunk)
        blob = await writer.commit()
    except BaseException:
        await writer.discard()
        raise
    return Received(blob, writer.size, sha1.hexdigest(), md5.hexdigest())
