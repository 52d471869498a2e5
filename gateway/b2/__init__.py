"""An asyncio client for the B2 native API. Knows nothing of S3 or aiohttp.web.

The translation layer needs only what is re-exported here; errors live in `gateway.b2.errors`.

Layers, bottom up:
- `_json`, `models`, `encoding`: the wire edge (typed JSON readers, dataclasses, B2 encoding);
- `errors`: `(status, code)` -> class, with retryable / reauthorize / new_upload_url flags;
- `raw`: one coroutine per endpoint, no state; `download`: typed headers and chunk streams;
- `retry`, `auth`, `session`: backoff policy, single-flight account token, the retry funnel;
- `body`, `upload_pool`, `uploader`: SHA-1-at-end streams, leased upload URLs, upload retries;
- `client`: the `B2Client` facade; `stats`: counters for the gateway's metrics.
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
