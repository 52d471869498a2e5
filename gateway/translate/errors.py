"""B2 errors -> S3 errors: one table, read top to bottom (subclasses before their bases).

Anything the table does not name becomes ``InternalError`` and is logged, so a gap shows up in
the logs instead of as a wrong answer. Transient trouble becomes ``SlowDown`` (B2 asked us to
slow down) or ``ServiceUnavailable``, both with ``Retry-After``: every S3 SDK retries those.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from gateway.b2 import errors as b2
from gateway.s3 import errors as s3

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class Target:
    """What the failed request addressed, for the error's XML fields."""

    bucket: str | None = None
    key: str | None = None
    version_id: str | None = None


Translate = Callable[[b2.B2Error, Target], s3.S3Error]


def _retry_headers(error: b2.B2Error) -> dict[str, str]:
    seconds = error.retry_after if error.retry_after is not None else DEFAULT_RETRY_AFTER_SECONDS
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _slow_down(error: b2.B2Error, _: Target) -> s3.S3Error:
    return s3.SlowDown(headers=_retry_headers(error))


def _unavailable(error: b2.B2Error, _: Target) -> s3.S3Error:
    return s3.ServiceUnavailable(
        "Backblaze B2 is unavailable or busy; please retry.", headers=_retry_headers(error)
    )


def _access_denied(error: b2.B2Error, _: Target) -> s3.S3Error:
    return s3.AccessDenied(f"Access Denied (Backblaze B2: {error.code or error.status})")


def _cap_exceeded(error: b2.B2Error, _: Target) -> s3.S3Error:
    # Not retryable: waiting does not lift a cap; the account owner must raise it.
    return s3.AccessDenied(
        f"The Backblaze B2 account has reached a cap ({error.code}); "
        "raise it in the B2 account settings."
    )


def _missing(error: b2.B2Error, target: Target) -> s3.S3Error:
    if target.version_id is not None:
        return s3.NoSuchVersion(Key=target.key, VersionId=target.version_id)
    if target.key is not None:
        return s3.NoSuchKey(Key=target.key)
    return s3.NoSuchBucket(BucketName=target.bucket)


def _no_bucket(error: b2.B2Error, target: Target) -> s3.S3Error:
    return s3.NoSuchBucket(BucketName=target.bucket)


def _bad_request(error: b2.B2Error, _: Target) -> s3.S3Error:
    log.warning("Backblaze B2 refused a request: %s", error)
    return s3.InvalidArgument(f"Backblaze B2 refused the request: {error.message}")


TABLE: tuple[tuple[type[b2.B2Error], Translate], ...] = (
    (b2.UploadNotReplayableError, _unavailable),
    (b2.TooManyRequestsError, _slow_down),
    (b2.ServiceError, _unavailable),
    (b2.RequestTimeoutError, _unavailable),
    (b2.B2ConnectionError, _unavailable),
    (b2.InvalidAuthTokenError, _unavailable),  # re-authorisation already failed: transient
    (b2.CapExceededError, _cap_exceeded),
    (b2.UnauthorizedError, _access_denied),
    (b2.ForbiddenError, _access_denied),
    (b2.FileLockConflictError, _access_denied),
    (b2.BucketIdNotFoundError, _no_bucket),
    (b2.NotFoundError, _missing),
    (b2.FileNotPresentError, _missing),
    (b2.RangeNotSatisfiableError, lambda e, t: s3.InvalidRange()),
    (b2.DuplicateBucketNameError, lambda e, t: s3.BucketAlreadyExists(BucketName=t.bucket)),
    (b2.TooManyBucketsError, lambda e, t: s3.TooManyBuckets()),
    (b2.BucketNotEmptyError, lambda e, t: s3.BucketNotEmpty(BucketName=t.bucket)),
    (b2.CopySourceTooBigError, lambda e, t: s3.InvalidRequest(f"Copy source too large: {e}")),
    (b2.BadRequestError, _bad_request),
)


def s3_error(error: b2.B2Error, target: Target) -> s3.S3Error:
    """The S3 answer to a B2 failure."""
    for cls, translate in TABLE:
        if isinstance(error, cls):
            return translate(error, target)
    log.error("unmapped Backblaze B2 error %s: %s", type(error).__name__, error)
    return s3.InternalError()
