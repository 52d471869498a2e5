"""Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation,
GetBucketVersioning."""

from __future__ import annotations

import datetime as dt
import re

from gateway.b2 import B2Client, Bucket, FileQuery
from gateway.b2 import errors as b2_errors
from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import LocationConstraint, Owner, VersioningConfiguration
from gateway.s3.xml_bodies import parse_create_bucket
from gateway.s3.xml_listing import BucketEntry, ListAllMyBucketsResult
from gateway.translate.context import (
    Context,
    client_for,
    identity_of,
    require_bucket_name,
    resolve_bucket,
)
from gateway.translate.headers import check_headers
from gateway.translate.names import ESCAPED_ROOT, RESERVED_ROOT

# B2's rules, stricter than S3's: 6-63 letters, digits and '-', not starting with "b2-".
_B2_BUCKET_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
CREATED_INFO_KEY = "s3gw-created"  # bucket info entry: when the gateway created the bucket (ms)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SCAN_PAGE = 1000


def _creation_date(bucket: Bucket) -> dt.datetime:
    """B2 keeps no creation time; buckets created through the gateway carry one in bucket info."""
    value = bucket.bucket_info.get(CREATED_INFO_KEY, "")
    if not value.isdigit():
        return _EPOCH
    return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)


async def _visible_buckets(client: B2Client) -> list[Bucket]:
    """Every bucket the B2 key may see. B2 refuses to list all buckets to a key restricted to
    some of them, so those are looked up one by one."""
    account = await client.account()
    allowed = account.allowed.buckets
    if allowed is None:
        return list(await client.list_buckets())
    found = [await client.get_bucket(b.bucket_name) for b in allowed if b.bucket_name]
    return [bucket for bucket in found if bucket is not None]


async def list_buckets(ctx: Context, request: S3Request) -> S3Response:
    identity = identity_of(request)
    client = await client_for(ctx, request)
    buckets = await _visible_buckets(client)
    account = await client.account()
    entries = [
        BucketEntry(b.bucket_name, _creation_date(b), ctx.region)
        for b in sorted(buckets, key=lambda b: b.bucket_name)
        if identity.allows_bucket(b.bucket_name)
    ]
    owner = Owner(account.account_id, account.account_id)
    return S3Response.xml(ListAllMyBucketsResult(owner, entries).to_xml())


def check_b2_bucket_name(name: str) -> None:
    if not _B2_BUCKET_NAME.fullmatch(name) or name.lower().startswith("b2-"):
        raise errors.InvalidBucketName(
            "Backblaze B2 bucket names are 6-63 letters, digits and hyphens "
            "and do not start with 'b2-'.",
            BucketName=name,
        )


def _check_location(ctx: Context, constraint: str | None) -> None:
    """S3: us-east-1 takes no constraint (naming it is an error); other regions take their own
    name or none."""
    if constraint is None or constraint == "":
        return
    if ctx.region == "us-east-1" or constraint != ctx.region:
        raise errors.InvalidLocationConstraint(LocationConstraint=constraint)


async def create_bucket(ctx: Context, request: S3Request, *, now_millis: int) -> S3Response:
    name = require_bucket_name(request)
    check_headers(Op.CreateBucket, request.headers, ctx.on_ignored_header)
    configuration = parse_create_bucket(await request.body.read_all())
    _check_location(ctx, configuration.location_constraint)
    check_b2_bucket_name(name)
    client = await client_for(ctx, request)
    try:
        await client.create_bucket(name, bucket_info={CREATED_INFO_KEY: str(now_millis)})
    except b2_errors.DuplicateBucketNameError:
        if await client.get_bucket(name) is None:
            raise errors.BucketAlreadyExists(BucketName=name) from None
        if ctx.region != "us-east-1":
            raise errors.BucketAlreadyOwnedByYou(BucketName=name) from None
        # us-east-1 (legacy): re-creating your own bucket succeeds.
    return S3Response(200, {"Location": f"/{name}"})


async def delete_bucket(ctx: Context, request: S3Request) -> S3Response:
    client, bucket = await resolve_bucket(ctx, request)
    await _cancel_unfinished(client, bucket)
    await _remove_gateway_files(client, bucket)
    try:
        await client.delete_bucket(bucket.bucket_id)
    except b2_errors.BucketNotEmptyError:
        raise errors.BucketNotEmpty(BucketName=bucket.bucket_name) from None
    return S3Response(204)


async def _cancel_unfinished(client: B2Client, bucket: Bucket) -> None:
    """S3 deletes a bucket that only holds incomplete multipart uploads; so do we."""
    while True:
        page = await client.list_unfinished_large_files(bucket.bucket_id, max_file_count=100)
        for file in page.files:
            await client.cancel_large_file(file.require_id())
        if not page.files:
            return


def _is_object(name: str) -> bool:
    return not name.startswith(RESERVED_ROOT) or name.startswith(ESCAPED_ROOT)


async def _remove_gateway_files(client: B2Client, bucket: Bucket) -> None:
    """Refuse if any object version or delete marker remains; otherwise delete the gateway's own
    bookkeeping files (staged multipart uploads) so B2 will delete the bucket."""
    reserved = []
    query = FileQuery(max_file_count=_SCAN_PAGE)
    while True:
        page = await client.list_file_versions(bucket.bucket_id, query)
        for file in page.files:
            if file.action == "start":
                continue
            if _is_object(file.file_name):
                raise errors.BucketNotEmpty(BucketName=bucket.bucket_name)
            reserved.append(file)
        if page.next_file_name is None:
            break
        query = FileQuery(
            start_file_name=page.next_file_name,
            start_file_id=page.next_file_id,
            max_file_count=_SCAN_PAGE,
        )
    for file in reserved:
        await client.delete_file_version(file.file_name, file.require_id())


async def head_bucket(ctx: Context, request: S3Request) -> S3Response:
    await resolve_bucket(ctx, request)
    return S3Response(200, {"x-amz-bucket-region": ctx.region})


async def get_bucket_location(ctx: Context, request: S3Request) -> S3Response:
    await resolve_bucket(ctx, request)
    return S3Response.xml(LocationConstraint(ctx.region).to_xml())


async def get_bucket_versioning(ctx: Context, request: S3Request) -> S3Response:
    await resolve_bucket(ctx, request)
    return S3Response.xml(VersioningConfiguration("Enabled").to_xml())
