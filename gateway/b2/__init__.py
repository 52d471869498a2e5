"""An asyncio client for the B2 native API. Knows nothing of S3 or aiohttp.web.

The translation layer needs only what is re-exported here; errors live in `gateway.b2.errors`.
"""

from gateway.b2.body import Finalize, UploadBody
from gateway.b2.client import B2Client
from gateway.b2.download import DownloadStream
from gateway.b2.models import (
    AccountAuthorization,
    Bucket,
    ByteRange,
    DownloadInfo,
    FileList,
    FileQuery,
    FileVersion,
    Part,
)
from gateway.b2.retry import RetryPolicy
from gateway.b2.stats import ClientStatsSnapshot, OnCall

__all__ = [
    "AccountAuthorization",
    "B2Client",
    "Bucket",
    "ByteRange",
    "ClientStatsSnapshot",
    "DownloadInfo",
    "DownloadStream",
    "FileList",
    "FileQuery",
    "FileVersion",
    "Finalize",
    "OnCall",
    "Part",
    "RetryPolicy",
    "UploadBody",
]
