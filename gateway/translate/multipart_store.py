"""Where a multipart upload in progress lives in B2: a marker file and one file per part.

* The marker, ``names.upload_name(key, upload_id)``: an empty file whose content type and file
  info are the object's (metadata, content headers), plus the checksum the upload was created
  with, packed in the gateway entry as ``{ALGORITHM: TYPE}``. Its name sorts as S3 sorts uploads.
* Part N, ``PARTS_ROOT + upload_id + "/" + N (5 digits)``: the part's bytes, its MD5 and
  checksums in file info. A re-upload is a newer version of the same name.

The UploadId is ``<13-digit initiation millis>-<16 hex>``: with the key of the request it names
every file of the upload, so any replica can serve any call without shared state.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace

from gateway.b2 import B2Client, Bucket, FileQuery, FileVersion
from gateway.b2 import errors as b2_errors
from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.translate.etags import stored_etag
from gateway.translate.mapping import GatewayInfo, ObjectAttributes, from_file_info, to_file_info
from gateway.translate.multipart_sums import ChecksumChoice, ChecksumType, PartDigest
from gateway.translate.names import MAX_KEY_BYTES, PARTS_ROOT, upload_name

MAX_PART_NUMBER = 10_000
DELETE_CONCURRENCY = 8
_UPLOAD_ID = re.compile(r"[0-9]{13}-[0-9a-f]{16}")


def new_upload_id(now_millis: int) -> str:
    return f"{now_millis:013d}-{secrets.token_hex(8)}"


def marker_name(key: str, upload_id: str) -> str:
    """The marker's B2 name; NoSuchUpload for ids this gateway cannot have issued."""
    if not _UPLOAD_ID.fullmatch(upload_id):
        raise errors.NoSuchUpload(UploadId=upload_id)
    return upload_name(key, upload_id)


def checked_marker_name(key: str, upload_id: str) -> str:
    name = marker_name(key, upload_id)
    if len(name.encode()) > MAX_KEY_BYTES:
        raise errors.KeyTooLongError(
            "This key is too long for a multipart upload through this gateway.",
            Size=len(key.encode()),
            MaxSizeAllowed=MAX_KEY_BYTES - (len(name.encode()) - len(key.encode())),
        )
    return name


def parts_prefix(upload_id: str) -> str:
    return f"{PARTS_ROOT}{upload_id}/"


def part_name(upload_id: str, part_number: int) -> str:
    return f"{parts_prefix(upload_id)}{part_number:05d}"


def part_number_of(name: str) -> int:
    return int(name.rsplit("/", 1)[1])


@dataclass(frozen=True)
class Upload:
    """A multipart upload in progress, as its marker records it."""

    key: str
    upload_id: str
    content_type: str
    attributes: ObjectAttributes  # metadata and content headers of the object-to-be
    checksum: ChecksumChoice | None
    initiated: int  # ms since the epoch


def marker_info(attributes: ObjectAttributes, checksum: ChecksumChoice | None) -> dict[str, str]:
    recorded = {} if checksum is None else {checksum.algorithm.name: checksum.type.value}
    return to_file_info(replace(attributes, gateway=GatewayInfo(checksums=recorded)))


def _upload_from(marker: FileVersion, key: str, upload_id: str) -> Upload:
    attributes = from_file_info(marker.file_info)
    checksum = None
    for name, kind in attributes.gateway.checksums.items():
        checksum = ChecksumChoice(ChecksumAlgorithm[name], ChecksumType(kind))
    return Upload(
        key=key,
        upload_id=upload_id,
        content_type=marker.content_type or "binary/octet-stream",
        attributes=replace(attributes, gateway=GatewayInfo()),
        checksum=checksum,
        initiated=marker.upload_timestamp,
    )


async def find_upload(client: B2Client, bucket: Bucket, key: str, upload_id: str) -> Upload:
    """The upload ``upload_id`` of ``key`` (one B2 call); NoSuchUpload when it is not there."""
    name = marker_name(key, upload_id)
    page = await client.list_file_names(
        bucket.bucket_id, FileQuery(start_file_name=name, max_file_count=1)
    )
    found = next((f for f in page.files if f.file_name == name and f.action == "upload"), None)
    if found is None:
        raise errors.NoSuchUpload(UploadId=upload_id)
    return _upload_from(found, key, upload_id)


@dataclass(frozen=True)
class StoredPart:
    number: int
    file_id: str
    size: int
    etag: str  # unquoted hex MD5
    checksums: dict[ChecksumAlgorithm, str]
    last_modified: int

    def digest(self, algorithm: ChecksumAlgorithm | None) -> PartDigest:
        value = None if algorithm is None else self.checksums.get(algorithm)
        return PartDigest(self.size, self.etag, value)


def stored_part(file: FileVersion) -> StoredPart:
    recorded = from_file_info(file.file_info).gateway.checksums
    return StoredPart(
        number=part_number_of(file.file_name),
        file_id=file.require_id(),
        size=file.content_length,
        etag=stored_etag(file.file_info, file.content_md5) or "",
        checksums={ChecksumAlgorithm[name]: value for name, value in recorded.items()},
        last_modified=file.upload_timestamp,
    )


async def list_parts(
    client: B2Client, bucket: Bucket, upload_id: str, *, after: int, limit: int
) -> tuple[list[StoredPart], bool]:
    """Up to ``limit`` latest part versions numbered above ``after``, and whether more follow."""
    parts: list[StoredPart] = []
    query = FileQuery(
        prefix=parts_prefix(upload_id),
        start_file_name=part_name(upload_id, after + 1),
        max_file_count=min(limit + 1, 1000),
    )
    while True:
        page = await client.list_file_names(bucket.bucket_id, query)
        parts += [stored_part(f) for f in page.files if f.action == "upload"]
        if len(parts) > limit or page.next_file_name is None:
            return parts[:limit], len(parts) > limit
        query = replace(query, start_file_name=page.next_file_name)


async def bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[object]]]) -> list[object]:
    """Run ``jobs`` at most ``limit`` at a time; results in job order."""
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[object]]) -> object:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


async def delete_all_versions(client: B2Client, bucket: Bucket, prefix: str) -> None:
    """Delete every version of every file whose name starts with ``prefix``."""
    query = FileQuery(prefix=prefix, max_file_count=1000)
    while True:
        page = await client.list_file_versions(bucket.bucket_id, query)
        await bounded(
            DELETE_CONCURRENCY,
            [_deleter(client, f.file_name, f.require_id()) for f in page.files],
        )
        if page.next_file_name is None or not page.files:
            return


def _deleter(client: B2Client, name: str, file_id: str) -> Callable[[], Awaitable[object]]:
    async def delete() -> None:
        with suppress(b2_errors.FileNotPresentError):  # someone else removed it first
            await client.delete_file_version(name, file_id)

    return delete


async def delete_upload(client: B2Client, bucket: Bucket, upload: Upload) -> None:
    """Remove every trace of ``upload``: all part versions first, the marker last (so an
    upload that is still listed can still be aborted)."""
    await delete_all_versions(client, bucket, parts_prefix(upload.upload_id))
    await delete_all_versions(client, bucket, marker_name(upload.key, upload.upload_id))
