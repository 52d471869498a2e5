"""ListObjectVersions over ``listing.list_versions_page`` (``b2_list_file_versions``).

B2 keeps every version; its hide markers are S3's delete markers and a version's B2 fileId is its
S3 VersionId. The gateway's own files (multipart markers and parts, under ``RESERVED_ROOT``) and
unfinished large files never appear. Paging is stateless: NextKeyMarker and NextVersionIdMarker
are the last entry of the page, which is all ``list_versions_page`` needs to continue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from gateway.b2 import B2Client, Bucket, FileList, FileQuery
from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import Owner
from gateway.s3.xml_listing import DeleteMarkerEntry, ListVersionsResult, VersionEntry
from gateway.translate.context import Context, resolve_bucket
from gateway.translate.etags import fallback_etag, stored_etag
from gateway.translate.headers import check_headers
from gateway.translate.listing import Listed, ListingPage, list_versions_page
from gateway.translate.mapping import quoted_etag
from gateway.translate.names import b2_name
from gateway.translate.params import encoding_type_param, int_param

MAX_KEYS = 1000


def _utc(millis: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)


def version_entry(listed: Listed, owner: Owner) -> VersionEntry | DeleteMarkerEntry:
    file = listed.file
    assert file is not None
    file_id = file.require_id()
    if file.action == "hide":
        return DeleteMarkerEntry(
            key=listed.key,
            version_id=file_id,
            is_latest=listed.is_latest,
            last_modified=_utc(file.upload_timestamp),
            owner=owner,
        )
    etag = stored_etag(file.file_info, file.content_md5) or fallback_etag(file_id)
    return VersionEntry(
        key=listed.key,
        version_id=file_id,
        is_latest=listed.is_latest,
        last_modified=_utc(file.upload_timestamp),
        etag=quoted_etag(etag),
        size=file.content_length,
        owner=owner,
    )


async def missing_key(client: B2Client, bucket: Bucket, key: str) -> errors.S3Error:
    """NoSuchKey for a GET or HEAD that found no current version; when the key's latest
    version is a delete marker, S3 says so in headers (one more B2 call, on misses only)."""
    name = b2_name(key)
    page = await client.list_file_versions(
        bucket.bucket_id, FileQuery(start_file_name=name, max_file_count=5)
    )
    latest = next((f for f in page.files if f.file_name == name and f.action != "start"), None)
    if latest is None or latest.action != "hide":
        return errors.NoSuchKey(Key=key)
    headers = {"x-amz-delete-marker": "true", "x-amz-version-id": latest.require_id()}
    return errors.NoSuchKey(Key=key, headers=headers)


async def _page(client: B2Client, bucket: Bucket, params: Mapping[str, str]) -> ListingPage:
    async def list_versions(query: FileQuery) -> FileList:
        return await client.list_file_versions(bucket.bucket_id, query)

    key_marker = params.get("key-marker") or None
    version_marker = params.get("version-id-marker") or None
    if version_marker is not None and key_marker is None:
        raise errors.InvalidArgument(
            "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
            ArgumentValue=version_marker,
        )
    return await list_versions_page(
        list_versions,
        prefix=params.get("prefix", ""),
        delimiter=params.get("delimiter") or None,
        key_marker=key_marker,
        version_id_marker=version_marker,
        max_keys=int_param(params, "max-keys", MAX_KEYS, MAX_KEYS),
    )


async def list_object_versions(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.ListObjectVersions, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    params = request.params
    encoding = encoding_type_param(params)
    page = await _page(client, bucket, params)
    account = await client.account()
    owner = Owner(account.account_id, account.account_id)
    truncated = page.is_truncated and page.last is not None
    result = ListVersionsResult(
        name=bucket.bucket_name,
        entries=[version_entry(listed, owner) for listed in page.objects],
        common_prefixes=page.common_prefixes,
        prefix=params.get("prefix", ""),
        key_marker=params.get("key-marker", ""),
        version_id_marker=params.get("version-id-marker", ""),
        next_key_marker=page.last if truncated else None,
        next_version_id_marker=page.last_version_id if truncated else None,
        delimiter=params.get("delimiter") or None,
        max_keys=int_param(params, "max-keys", MAX_KEYS, MAX_KEYS),
        is_truncated=truncated,
        encoding_type=encoding,
    )
    return S3Response.xml(result.to_xml())
