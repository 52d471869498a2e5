"""DeleteObjects: up to 1000 keys per request, each deleted like DeleteObject, errors per key.

Content-MD5 is not required: current SDKs send a CRC32 checksum instead, which the front door
verifies like any other body checksum.
"""

from __future__ import annotations

import asyncio

from gateway.b2 import B2Client, Bucket
from gateway.b2.errors import B2Error
from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import Deleted, DeleteFailure, DeleteResult
from gateway.s3.xml_bodies import ObjectIdentifier, parse_delete
from gateway.translate.context import Context, resolve_bucket
from gateway.translate.errors import Target, s3_error
from gateway.translate.headers import check_headers
from gateway.translate.objects import delete_key

CONCURRENT_DELETES = 8


async def _delete_one(
    client: B2Client, bucket: Bucket, item: ObjectIdentifier
) -> Deleted | DeleteFailure:
    try:
        outcome = await delete_key(client, bucket, item.key, item.version_id)
    except (errors.S3Error, B2Error) as failure:
        error = (
            failure
            if isinstance(failure, errors.S3Error)
            else s3_error(failure, Target(bucket.bucket_name, item.key, item.version_id))
        )
        return DeleteFailure(item.key, error.code, error.detail, item.version_id)
    if outcome.delete_marker:
        return Deleted(item.key, delete_marker=True, delete_marker_version_id=outcome.version_id)
    return Deleted(item.key, version_id=item.version_id)


async def delete_objects(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.DeleteObjects, request.headers, ctx.on_ignored_header)
    client, bucket = await resolve_bucket(ctx, request)
    document = parse_delete(await request.body.read_all())
    gate = asyncio.Semaphore(CONCURRENT_DELETES)

    async def bounded(item: ObjectIdentifier) -> Deleted | DeleteFailure:
        async with gate:
            return await _delete_one(client, bucket, item)

    results = await asyncio.gather(*(bounded(item) for item in document.objects))
    deleted = [r for r in results if isinstance(r, Deleted)]
    failures = [r for r in results if isinstance(r, DeleteFailure)]
    result = DeleteResult(deleted=[] if document.quiet else deleted, failures=failures)
    return S3Response.xml(result.to_xml())
