"""ListMultipartUploads: a walk over the upload markers (``names.upload_name``).

B2 orders the markers as S3 orders uploads (key, then upload id, whose leading initiation time
makes it initiation order), and ``upload_prefix`` turns an S3 prefix into a B2 prefix, so a page
is one ordered B2 listing. Delimiters are rolled up here (the encoded names' ``/`` are not the
key's): after a common prefix the walk seeks past every key below it, so none repeats. Paging is
stateless: key-marker and upload-id-marker are all a replica needs to continue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.b2 import B2Client, Bucket, FileQuery, FileVersion
from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml_listing import ListMultipartUploadsResult, UploadEntry
from gateway.translate.context import Context, resolve_bucket
from gateway.translate.headers import check_headers
from gateway.translate.multipart_store import marker_name
from gateway.translate.names import upload_of, upload_position, upload_prefix
from gateway.translate.params import encoding_type_param, int_param

MAX_UPLOADS = 1000
_AFTER_KEY = " 0"  # above every marker of a key (" /<id>"), below those of longer keys


@dataclass(frozen=True)
class UploadsQuery:
    prefix: str = ""
    delimiter: str | None = None
    key_marker: str = ""
    upload_id_marker: str = ""
    max_uploads: int = MAX_UPLOADS


@dataclass(frozen=True)
class UploadsPage:
    uploads: tuple[UploadEntry, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


def _successor(text: str) -> str:
    """The least text above every text that starts with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def roll_up(key: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


def start_after(query: UploadsQuery) -> tuple[str | None, str | None]:
    """(B2 start name, a name to pass over because the listing starts *after* it)."""
    key = query.key_marker
    if not key:
        return None, None
    if query.upload_id_marker:
        try:
            name = marker_name(key, query.upload_id_marker)
        except errors.NoSuchUpload:
            name = None  # not an id of ours: resume after the whole key
        if name is not None:
            return name, name
    if roll_up(key, query.prefix, query.delimiter) == key:
        return upload_position(_successor(key)), None  # a common prefix: skip all below it
    return upload_position(key) + _AFTER_KEY, None


@dataclass(frozen=True)
class _Found:
    key: str  # an upload's key, or a common prefix
    upload_id: str | None  # None for a common prefix
    initiated: int = 0  # ms since the epoch


def _found(file: FileVersion, query: UploadsQuery, skip: str | None) -> _Found | None:
    decoded = upload_of(file.file_name)
    if decoded is None or file.file_name == skip or file.action != "upload":
        return None
    key, upload_id = decoded
    rolled = roll_up(key, query.prefix, query.delimiter)
    if rolled is not None:
        return _Found(rolled, None)
    return _Found(key, upload_id, file.upload_timestamp)


async def uploads_page(client: B2Client, bucket: Bucket, query: UploadsQuery) -> UploadsPage:
    b2_prefix = upload_prefix(query.prefix)
    wanted = query.max_uploads + 1  # one more tells whether the listing is truncated
    found: list[_Found] = []
    start, skip = start_after(query)
    more = True
    while more and len(found) < wanted:
        page = await client.list_file_names(
            bucket.bucket_id,
            FileQuery(
                prefix=b2_prefix,
                start_file_name=start,
                max_file_count=min(1000, wanted - len(found) + 1),
            ),
        )
        start, more = page.next_file_name, page.next_file_name is not None
        for file in page.files:
            entry = _found(file, query, skip)
            if entry is None:
                continue
            found.append(entry)
            if len(found) == wanted:
                break
            if entry.upload_id is None:  # seek past every key below the common prefix
                start, more = upload_position(_successor(entry.key)), True
                break
    truncated = len(found) > query.max_uploads
    found = found[: query.max_uploads]
    last = found[-1] if truncated and found else None
    return UploadsPage(
        uploads=tuple(_entry(f) for f in found if f.upload_id is not None),
        common_prefixes=tuple(f.key for f in found if f.upload_id is None),
        is_truncated=truncated,
        next_key_marker=None if last is None else last.key,
        next_upload_id_marker=None if last is None else last.upload_id,
    )


def _entry(found: _Found) -> UploadEntry:
    assert found.upload_id is not None
    initiated = dt.datetime.fromtimestamp(found.initiated / 1000, tz=dt.UTC)
    return UploadEntry(key=found.key, upload_id=found.upload_id, initiated=initiated)


def _query(params: Mapping[str, str]) -> UploadsQuery:
    return UploadsQuery(
        prefix=params.get("prefix", ""),
        delimiter=params.get("delimiter") or None,
        key_marker=params.get("key-marker", ""),
        upload_id_marker=params.get("upload-id-marker", ""),
        max_uploads=int_param(params, "max-uploads", MAX_UPLOADS, MAX_UPLOADS),
    )


async def list_multipart_uploads(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.ListMultipartUploads, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    encoding = encoding_type_param(request.params)
    query = _query(request.params)
    page = (
        await uploads_page(client, bucket, query)
        if query.max_uploads > 0
        else UploadsPage((), (), False, None, None)
    )
    result = ListMultipartUploadsResult(
        bucket=bucket.bucket_name,
        uploads=page.uploads,
        common_prefixes=page.common_prefixes,
        prefix=query.prefix,
        delimiter=query.delimiter,
        key_marker=query.key_marker,
        upload_id_marker=query.upload_id_marker,
        next_key_marker=page.next_key_marker,
        next_upload_id_marker=page.next_upload_id_marker,
        max_uploads=query.max_uploads,
        is_truncated=page.is_truncated,
        encoding_type=encoding,
    )
    return S3Response.xml(result.to_xml())
