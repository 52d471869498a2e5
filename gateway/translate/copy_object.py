"""CopyObject via ``b2_copy_file`` (sources above B2's 5 GB copy limit: copied parts).

The copy keeps the source's ETag and checksums (S3 does for single-part sources): the gateway
always writes the destination's file info itself, from the source's (COPY) or from the request
(REPLACE), with the source's ETag record in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import unquote

from gateway.b2 import B2Client, Bucket, FileVersion
from gateway.b2 import errors as b2_errors
from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op, parse_query
from gateway.s3.xml import CopyObjectResult
from gateway.translate.conditions import Validators, check_preconditions
from gateway.translate.context import Context, identity_of, require_key, resolve_bucket
from gateway.translate.etags import fallback_etag, stored_etag
from gateway.translate.headers import check_headers
from gateway.translate.large_files import LargeTarget
from gateway.translate.mapping import RESERVED_KEY, GatewayInfo, from_file_info, to_file_info
from gateway.translate.names import b2_name
from gateway.translate.objects_put import content_type, object_attributes

_HANDLED = frozenset(
    {
        "x-amz-copy-source",
        "x-amz-metadata-directive",
        "x-amz-copy-source-if-match",
        "x-amz-copy-source-if-none-match",
        "x-amz-copy-source-if-modified-since",
        "x-amz-copy-source-if-unmodified-since",
    }
)
_CONDITIONS = {
    "x-amz-copy-source-if-match": "if-match",
    "x-amz-copy-source-if-none-match": "if-none-match",
    "x-amz-copy-source-if-modified-since": "if-modified-since",
    "x-amz-copy-source-if-unmodified-since": "if-unmodified-since",
}


@dataclass(frozen=True)
class CopySource:
    bucket: str
    key: str
    version_id: str | None = None


def parse_copy_source(value: str) -> CopySource:
    """``[/]bucket/key[?versionId=id]``, percent-encoded (``+`` is a plus sign)."""
    raw_path, _, raw_query = value.strip().partition("?")
    try:
        path = unquote(raw_path.lstrip("/"), errors="strict")
    except UnicodeDecodeError:
        path = ""
    bucket, slash, key = path.partition("/")
    params = dict(parse_query(raw_query))
    if not bucket or not slash or not key or set(params) - {"versionId"}:
        raise errors.InvalidArgument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    return CopySource(bucket, key, params.get("versionId") or None)


def _directive(headers: Mapping[str, str]) -> str:
    value = headers.get("x-amz-metadata-directive", "COPY").upper()
    if value not in ("COPY", "REPLACE"):
        raise errors.InvalidArgument(
            "Unknown metadata directive.",
            ArgumentName="x-amz-metadata-directive",
            ArgumentValue=value,
        )
    return value


async def _source_version(client: B2Client, bucket: Bucket, source: CopySource) -> FileVersion:
    name = b2_name(source.key)
    try:
        if source.version_id is not None:
            version = await client.get_file_info(source.version_id)
        else:
            head = await client.head_by_name(bucket.bucket_name, name)
            version = await client.get_file_info(head.file_id)
    except (b2_errors.NotFoundError, b2_errors.FileNotPresentError, b2_errors.BadRequestError):
        version = None
    if version is None or version.file_name != name or version.action != "upload":
        if source.version_id is not None:
            raise errors.NoSuchVersion(Key=source.key, VersionId=source.version_id)
        raise errors.NoSuchKey(Key=source.key)
    return version


def _check_conditions(headers: Mapping[str, str], etag: str, version: FileVersion) -> None:
    conditions = {plain: headers[name] for name, plain in _CONDITIONS.items() if name in headers}
    try:
        check_preconditions(conditions, Validators(etag, version.upload_timestamp), {})
    except errors.S3Error as error:
        if error.code == errors.NotModified.code:  # a copy answers every false condition 412
            raise errors.PreconditionFailed(Condition="x-amz-copy-source-If-None-Match") from None
        raise


def _destination(
    request: S3Request, directive: str, version: FileVersion, etag: str
) -> tuple[str, dict[str, str]]:
    """Content type and file info of the copy."""
    source_gateway = from_file_info(version.file_info).gateway
    gateway = GatewayInfo(etag=etag, checksums=source_gateway.checksums)
    if directive == "REPLACE":
        attributes = object_attributes(request.headers)
        return content_type(request.headers), to_file_info(replace(attributes, gateway=gateway))
    info = dict(version.file_info)
    info[RESERVED_KEY] = gateway.encode()
    return version.content_type or "binary/octet-stream", info


async def copy_object(ctx: Context, request: S3Request) -> S3Response:
    key = require_key(request)
    check_headers(Op.CopyObject, request.headers, ctx.on_ignored_header, handled=_HANDLED)
    source = parse_copy_source(request.headers.get("x-amz-copy-source", ""))
    directive = _directive(request.headers)
    client, bucket = await resolve_bucket(ctx, request)
    if not identity_of(request).allows_bucket(source.bucket):
        raise errors.AccessDenied()
    source_bucket = await client.get_bucket(source.bucket)
    if source_bucket is None:
        raise errors.NoSuchBucket(BucketName=source.bucket)
    same = (source.bucket, source.key) == (bucket.bucket_name, key)
    if same and directive == "COPY" and source.version_id is None:
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes."
        )
    version = await _source_version(client, source_bucket, source)
    source_id = version.require_id()
    etag = stored_etag(version.file_info, version.content_md5) or fallback_etag(source_id)
    _check_conditions(request.headers, etag, version)
    kind, info = _destination(request, directive, version, etag)
    if version.content_length > ctx.b2_max_simple_bytes:
        large = LargeTarget(client, bucket.bucket_id, ctx.b2_max_simple_bytes, kind)
        copied = await large.copy(source_id, version.content_length, b2_name(key), info)
    else:
        copied = await client.copy_file(
            source_id,
            b2_name(key),
            destination_bucket_id=bucket.bucket_id,
            content_type=kind,
            file_info=info,
        )
    result = CopyObjectResult(
        etag=f'"{etag}"',
        last_modified=dt.datetime.fromtimestamp(copied.upload_timestamp / 1000, tz=dt.UTC),
    )
    headers = {"x-amz-version-id": copied.require_id(), "x-amz-copy-source-version-id": source_id}
    return S3Response.xml(result.to_xml(), headers=headers)
