"""The handlers of the multipart and version operations, for ``dispatch``'s table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.translate import (
    multipart,
    multipart_complete,
    multipart_copy,
    multipart_uploads,
    versions,
)
from gateway.translate.context import Context

ContextHandler = Callable[[Context, S3Request], Awaitable[S3Response]]


def handlers(now_millis: Callable[[], int]) -> Mapping[Op, ContextHandler]:
    async def create_multipart_upload(ctx: Context, request: S3Request) -> S3Response:
        return await multipart.create_multipart_upload(ctx, request, now_millis=now_millis())

    return {
        Op.CreateMultipartUpload: create_multipart_upload,
        Op.UploadPart: multipart.upload_part,
        Op.UploadPartCopy: multipart_copy.upload_part_copy,
        Op.CompleteMultipartUpload: multipart_complete.complete_multipart_upload,
        Op.AbortMultipartUpload: multipart.abort_multipart_upload,
        Op.ListParts: multipart.list_parts_handler,
        Op.ListMultipartUploads: multipart_uploads.list_multipart_uploads,
        Op.ListObjectVersions: versions.list_object_versions,
    }
