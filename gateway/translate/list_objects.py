"""ListObjects (v1) and ListObjectsV2 over ``translate.listing``.

Continuation tokens are stateless and self-contained: they encode the last key or common prefix
of the page, which is all ``list_page`` needs to continue, so any replica can serve any page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping

from gateway.b2 import B2Client, Bucket, FileList, FileQuery, FileVersion
from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import Owner
from gateway.s3.xml_listing import ListBucketResult, ListBucketResultV2, ObjectEntry
from gateway.translate.context import Context, account_owner, resolve_bucket
from gateway.translate.etags import fallback_etag
from gateway.translate.headers import check_headers
from gateway.translate.listing import ListingPage, list_page
from gateway.translate.mapping import gateway_info, quoted_etag
from gateway.translate.params import encoding_type_param, int_param

MAX_KEYS = 1000
_TOKEN_VERSION = b"\x01"


def encode_token(last: str) -> str:
    return base64.urlsafe_b64encode(_TOKEN_VERSION + last.encode()).decode()


def decode_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        last = raw[1:].decode() if raw.startswith(_TOKEN_VERSION) else None
    except (ValueError, UnicodeError, binascii.Error):
        last = None
    if last is None:
        raise errors.InvalidArgument(
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        )
    return last


def _entry(file: FileVersion, key: str, owner: Owner | None) -> ObjectEntry:
    # Once per listed key: read the gateway's record once, and only what a listing shows.
    recorded = gateway_info(file.file_info)
    etag = recorded.etag or file.content_md5 or fallback_etag(file.require_id())
    checksums = recorded.checksums
    algorithm = (
        next((a for a in ChecksumAlgorithm if a.name in checksums), None) if checksums else None
    )
    return ObjectEntry(
        key=key,
        last_modified=dt.datetime.fromtimestamp(file.upload_timestamp / 1000, tz=dt.UTC),
        etag=quoted_etag(etag),
        size=file.content_length,
        owner=owner,
        checksum_algorithm=algorithm,
    )


async def _page(
    client: B2Client, bucket: Bucket, params: Mapping[str, str], after: str | None
) -> ListingPage:
    async def list_names(query: FileQuery) -> FileList:
        return await client.list_file_names(bucket.bucket_id, query)

    return await list_page(
        list_names,
        prefix=params.get("prefix", ""),
        delimiter=params.get("delimiter") or None,
        after=after,
        max_keys=int_param(params, "max-keys", MAX_KEYS, MAX_KEYS),
    )


def _entries(page: ListingPage, owner: Owner | None) -> list[ObjectEntry]:
    return [_entry(listed.file, listed.key, owner) for listed in page.objects if listed.file]


async def list_objects_v2(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.ListObjectsV2, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    params = request.params
    encoding = encoding_type_param(params)
    token = params.get("continuation-token")
    start_after = params.get("start-after") or None
    after = decode_token(token) if token is not None else start_after
    page = await _page(client, bucket, params, after)
    fetch_owner = params.get("fetch-owner", "").lower() == "true"
    owner = await account_owner(client) if fetch_owner else None
    result = ListBucketResultV2(
        name=bucket.bucket_name,
        contents=_entries(page, owner),
        common_prefixes=page.common_prefixes,
        prefix=params.get("prefix", ""),
        delimiter=params.get("delimiter") or None,
        max_keys=int_param(params, "max-keys", MAX_KEYS, MAX_KEYS),
        is_truncated=page.is_truncated,
        continuation_token=token,
        next_continuation_token=(
            encode_token(page.last) if page.is_truncated and page.last is not None else None
        ),
        start_after=start_after,
        encoding_type=encoding,
    )
    return S3Response.xml(result.to_xml())


async def list_objects(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.ListObjects, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    params = request.params
    encoding = encoding_type_param(params)
    marker = params.get("marker", "")
    page = await _page(client, bucket, params, marker or None)
    delimiter = params.get("delimiter") or None
    # S3 gives NextMarker only with a delimiter; otherwise clients continue from the last key.
    next_marker = page.last if page.is_truncated and delimiter is not None else None
    result = ListBucketResult(
        name=bucket.bucket_name,
        contents=_entries(page, await account_owner(client)),
        common_prefixes=page.common_prefixes,
        prefix=params.get("prefix", ""),
        marker=marker,
        next_marker=next_marker,
        delimiter=delimiter,
        max_keys=int_param(params, "max-keys", MAX_KEYS, MAX_KEYS),
        is_truncated=page.is_truncated,
        encoding_type=encoding,
    )
    return S3Response.xml(result.to_xml())
