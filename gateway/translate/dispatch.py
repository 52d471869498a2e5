"""HANDLERS: every S3 operation -> its handler. Operations without one answer NotImplemented
naming the operation, so the table always covers ``Op`` completely.

Each handler is wrapped once: B2 errors become S3 errors (``translate.errors``). Metrics and the
access log observe requests in the S3 funnel (``s3.http.Exchange``), which also sees the ones
refused before they reach a handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import partial

from gateway.b2.errors import B2Error
from gateway.s3 import errors
from gateway.s3.messages import Handler, S3Request, S3Response
from gateway.s3.operations import Op
from gateway.translate import (
    acl,
    buckets,
    copy_object,
    delete_objects,
    list_objects,
    multipart_handlers,
    objects,
    objects_put,
)
from gateway.translate.context import Context
from gateway.translate.errors import Target, s3_error

ContextHandler = Callable[[Context, S3Request], Awaitable[S3Response]]


def _now_millis() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def implemented(now_millis: Callable[[], int] = _now_millis) -> Mapping[Op, ContextHandler]:
    async def create_bucket(ctx: Context, request: S3Request) -> S3Response:
        return await buckets.create_bucket(ctx, request, now_millis=now_millis())

    return {
        Op.ListBuckets: buckets.list_buckets,
        Op.CreateBucket: create_bucket,
        Op.DeleteBucket: buckets.delete_bucket,
        Op.HeadBucket: buckets.head_bucket,
        Op.GetBucketLocation: buckets.get_bucket_location,
        Op.GetBucketVersioning: buckets.get_bucket_versioning,
        Op.ListObjects: list_objects.list_objects,
        Op.ListObjectsV2: list_objects.list_objects_v2,
        Op.PutObject: objects_put.put_object,
        Op.CopyObject: copy_object.copy_object,
        Op.GetObject: objects.get_object,
        Op.HeadObject: objects.head_object,
        Op.DeleteObject: objects.delete_object,
        Op.DeleteObjects: delete_objects.delete_objects,
        Op.GetBucketAcl: acl.get_bucket_acl,
        Op.PutBucketAcl: acl.put_bucket_acl,
        Op.GetObjectAcl: acl.get_object_acl,
        Op.PutObjectAcl: acl.put_object_acl,
        **multipart_handlers.handlers(now_millis),
    }


async def not_implemented(op: Op, request: S3Request) -> S3Response:
    raise errors.NotImplemented(f"{op} is not implemented by this gateway")


def build_handlers(
    ctx: Context,
    *,
    now_millis: Callable[[], int] = _now_millis,
) -> dict[Op, Handler]:
    table = implemented(now_millis)
    handlers: dict[Op, Handler] = {}
    for op in Op:
        inner = table.get(op)
        handler: Handler = (
            partial(inner, ctx) if inner is not None else partial(not_implemented, op)
        )
        handlers[op] = _translated(handler)
    return handlers


def _translated(handler: Handler) -> Handler:
    async def run(request: S3Request) -> S3Response:
        try:
            return await handler(request)
        except B2Error as error:
            target = Target(request.bucket, request.key, request.params.get("versionId"))
            raise s3_error(error, target) from error

    return run
