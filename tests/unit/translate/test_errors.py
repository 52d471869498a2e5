"""The B2 -> S3 error table."""

from __future__ import annotations

import pytest

from gateway.b2 import errors as b2
from gateway.s3 import errors as s3
from gateway.translate.errors import TABLE, Target, s3_error

OBJECT = Target("bucket", "key")


@pytest.mark.parametrize(
    ("error", "target", "expected"),
    [
        (b2.UnauthorizedError("no", status=401, code="unauthorized"), OBJECT, s3.AccessDenied),
        (b2.AccessDeniedError("no", status=403, code="access_denied"), OBJECT, s3.AccessDenied),
        (b2.CapExceededError("cap", status=403, code="cap_exceeded"), OBJECT, s3.AccessDenied),
        (b2.NotFoundError("x", status=404, code="not_found"), OBJECT, s3.NoSuchKey),
        (b2.NotFoundError("x", status=404), Target("bucket"), s3.NoSuchBucket),
        (b2.NotFoundError("x", status=404), Target("b", "k", "v"), s3.NoSuchVersion),
        (b2.BucketIdNotFoundError("x", status=400, code="bad_bucket_id"), OBJECT, s3.NoSuchBucket),
        (b2.TooManyRequestsError("slow", status=429), OBJECT, s3.SlowDown),
        (b2.ServiceUnavailableError("busy", status=503), OBJECT, s3.ServiceUnavailable),
        (b2.ServiceError("oops", status=500), OBJECT, s3.ServiceUnavailable),
        (b2.B2ConnectionError("reset", request_sent=True), OBJECT, s3.ServiceUnavailable),
        (b2.RangeNotSatisfiableError("range", status=416), OBJECT, s3.InvalidRange),
        (b2.BucketNotEmptyError("full", status=400), Target("b"), s3.BucketNotEmpty),
        (b2.B2ProtocolError("garbled"), OBJECT, s3.InternalError),
    ],
)
def test_b2_error_maps_to_s3_error(
    error: b2.B2Error, target: Target, expected: type[s3.S3Error]
) -> None:
    assert s3_error(error, target).code == expected.code


def test_transient_errors_carry_retry_after() -> None:
    slow = s3_error(b2.TooManyRequestsError("slow", status=429, retry_after=2.5), OBJECT)
    assert slow.headers["Retry-After"] == "3"
    busy = s3_error(b2.ServiceUnavailableError("busy", status=503), OBJECT)
    assert busy.headers["Retry-After"] == "1"


def test_not_replayable_upload_is_service_unavailable() -> None:
    failure = b2.ServiceUnavailableError("busy", status=503, retry_after=7)
    answer = s3_error(b2.UploadNotReplayableError(failure), OBJECT)
    assert answer.code == s3.ServiceUnavailable.code
    assert answer.headers["Retry-After"] == "7"


def test_table_lists_subclasses_before_their_bases() -> None:
    classes = [cls for cls, _ in TABLE]
    for index, cls in enumerate(classes):
        for later in classes[index + 1 :]:
            assert not issubclass(later, cls), f"{later.__name__} is shadowed by {cls.__name__}"
