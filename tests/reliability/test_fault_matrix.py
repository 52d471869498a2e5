"""Every write path x every B2 fault: the client either gets success and the write is there,
byte-identical, exactly once; or a retryable S3 error and B2 holds exactly what it held before.
Then a client retrying as SDKs do (botocore's standard mode) gets the job done.

Non-retryable B2 refusals (a cap, a key B2 no longer accepts) give AccessDenied and store
nothing. Faults with ``Retry-After: 0`` keep the gateway's own retries instant; 429 keeps 1 s.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.translate.names import RESERVED_ROOT
from tests.integration.conftest import B2_SIMPLE_LIMIT, PUT_BUFFER, Stack
from tests.reliability.conftest import (
    ClientFactory,
    S3Client,
    b2_calls,
    expire_tokens,
    leased_upload_urls,
    queue_fault,
    reset_b2_calls,
    versions_of,
)

KEY = "obj"
RETRYABLE = {"ServiceUnavailable": 503, "SlowDown": 503, "InternalError": 500}
UPLOAD_CALLS = ("b2_upload_file", "b2_upload_part")


class KeyFailedError(Exception):
    """DeleteObjects answered 200 but refused a key (per-key errors are not HTTP errors)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Write:
    """One prepared write: ``act`` performs it, ``check`` proves it took effect exactly once."""

    act: Callable[[S3Client], None]
    check: Callable[[S3Client, Stack], None]


@dataclass(frozen=True)
class WritePath:
    name: str
    endpoint: str  # the B2 call the fault hits
    prepare: Callable[[S3Client, str], Write]


def _uploads_of(stack: Stack, bucket: str, name: str) -> list[str]:
    return [v.action for v in versions_of(stack, bucket) if v.name == name]


def _nothing_reserved_left(stack: Stack, bucket: str) -> None:
    leftovers = [v for v in versions_of(stack, bucket) if v.name.startswith(RESERVED_ROOT)]
    assert leftovers == []
    assert all(v.action != "start" for v in versions_of(stack, bucket))


def _reads_back(bucket: str, key: str, data: bytes) -> Callable[[S3Client, Stack], None]:
    def check(s3: S3Client, stack: Stack) -> None:
        got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
        assert _uploads_of(stack, bucket, key) == ["upload"]
        _nothing_reserved_left(stack, bucket)

    return check


def _put(size: int) -> Callable[[S3Client, str], Write]:
    def prepare(s3: S3Client, bucket: str) -> Write:
        data = os.urandom(size)
        return Write(
            lambda c: c.put_object(Bucket=bucket, Key=KEY, Body=data),
            _reads_back(bucket, KEY, data),
        )

    return prepare


def _upload_part(s3: S3Client, bucket: str) -> Write:
    data = os.urandom(300 * 1024)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]

    def act(c: S3Client) -> None:
        c.upload_part(Bucket=bucket, Key=KEY, UploadId=upload_id, PartNumber=1, Body=data)

    def check(c: S3Client, stack: Stack) -> None:
        parts = c.list_parts(Bucket=bucket, Key=KEY, UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["ETag"]) for p in parts] == [
            (1, f'"{hashlib.md5(data).hexdigest()}"')
        ]
        etag = parts[0]["ETag"]
        c.complete_multipart_upload(
            Bucket=bucket,
            Key=KEY,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        _reads_back(bucket, KEY, data)(c, stack)

    return Write(act, check)


def _complete(s3: S3Client, bucket: str) -> Write:
    data = os.urandom(300 * 1024)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=KEY, UploadId=upload_id, PartNumber=1, Body=data)
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}

    def act(c: S3Client) -> None:
        c.complete_multipart_upload(
            Bucket=bucket, Key=KEY, UploadId=upload_id, MultipartUpload=parts
        )

    return Write(act, _reads_back(bucket, KEY, data))


def _complete_assembled(s3: S3Client, bucket: str) -> Write:
    """Two parts, the first over B2's (lowered) copy limit: assembled as a B2 large file from
    copied pieces (start, copy parts, finish), so a failure must cancel the unfinished file."""
    first, last = os.urandom(5 * 1024 * 1024), os.urandom(100 * 1024)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
    parts = []
    for number, data in enumerate((first, last), 1):
        part = s3.upload_part(
            Bucket=bucket, Key=KEY, UploadId=upload_id, PartNumber=number, Body=data
        )
        parts.append({"PartNumber": number, "ETag": part["ETag"]})

    def act(c: S3Client) -> None:
        c.complete_multipart_upload(
            Bucket=bucket, Key=KEY, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    return Write(act, _reads_back(bucket, KEY, first + last))


def _copy(s3: S3Client, bucket: str) -> Write:
    data = os.urandom(200 * 1024)
    s3.put_object(Bucket=bucket, Key="source", Body=data)

    def act(c: S3Client) -> None:
        c.copy_object(Bucket=bucket, Key=KEY, CopySource={"Bucket": bucket, "Key": "source"})

    return Write(act, _reads_back(bucket, KEY, data))


def _delete_objects(s3: S3Client, bucket: str) -> Write:
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"doomed")

    def act(c: S3Client) -> None:
        answer = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": KEY}]})
        for error in answer.get("Errors", []):
            raise KeyFailedError(error["Code"])
        assert [d["Key"] for d in answer["Deleted"]] == [KEY]

    def check(c: S3Client, stack: Stack) -> None:
        with pytest.raises(ClientError) as caught:
            c.head_object(Bucket=bucket, Key=KEY)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert sorted(_uploads_of(stack, bucket, KEY)) == ["hide", "upload"]

    return Write(act, check)


PATHS = [
    WritePath("put-buffered", "b2_upload_file", _put(100 * 1024)),
    WritePath("put-streamed", "b2_upload_file", _put(PUT_BUFFER + 64 * 1024)),
    WritePath("put-large-file", "b2_upload_part", _put(B2_SIMPLE_LIMIT + 64 * 1024)),
    WritePath("upload-part", "b2_upload_file", _upload_part),
    WritePath("complete", "b2_copy_file", _complete),
    WritePath("complete-assembled", "b2_finish_large_file", _complete_assembled),
    WritePath("copy", "b2_copy_file", _copy),
    WritePath("delete-objects", "b2_hide_file", _delete_objects),
]


@dataclass(frozen=True)
class B2Fault:
    name: str
    apply: Callable[[Stack, str], None]


def _queued(**fault: Any) -> Callable[[Stack, str], None]:
    def apply(stack: Stack, endpoint: str) -> None:
        queue_fault(stack, endpoint, **fault)

    return apply


def _dropped(stack: Stack, endpoint: str) -> None:
    # Uploads lose the connection while B2 reads the body (B2 keeps nothing); other calls lose
    # it before B2 answers, after it acted (see test_dropped_answer_*).
    if endpoint in UPLOAD_CALLS:
        queue_fault(stack, endpoint, drop="mid_body")
    else:
        queue_fault(stack, endpoint, drop="before_response")


FAULTS = [
    B2Fault("b2-503", _queued(status=503, code="service_unavailable", retry_after=0)),
    B2Fault("b2-500", _queued(status=500, code="internal_error", retry_after=0)),
    B2Fault("b2-429", _queued(status=429, code="too_many_requests", retry_after=1)),
    B2Fault("expired-token", lambda stack, _: expire_tokens(stack)),
    B2Fault("slow", _queued(delay=0.5)),
]


@dataclass(frozen=True)
class Failure:
    code: str
    status: int | None  # None: a per-key error inside a 200 DeleteObjects answer
    retry_after: str | None
    attempts: int


def _failure_of(act: Callable[[S3Client], None], client: S3Client) -> Failure | None:
    """How ``act`` failed, or None when it succeeded."""
    try:
        act(client)
    except ClientError as failed:
        response: Any = failed.response
        meta = response["ResponseMetadata"]
        return Failure(
            response["Error"]["Code"],
            meta["HTTPStatusCode"],
            meta["HTTPHeaders"].get("retry-after"),
            meta["RetryAttempts"],
        )
    except KeyFailedError as failed:
        return Failure(failed.code, None, None, 0)
    return None


def _assert_retryable(failure: Failure) -> None:
    assert failure.code in RETRYABLE, failure
    if failure.status is not None:
        assert failure.status == RETRYABLE[failure.code]
    if failure.status == 503:
        assert failure.retry_after is not None
        assert int(failure.retry_after) >= 1


def _survives(
    stack: Stack, clients: ClientFactory, bucket: str, path: WritePath, fault: B2Fault
) -> None:
    s3 = clients()
    write = path.prepare(s3, bucket)
    before = versions_of(stack, bucket)
    fault.apply(stack, path.endpoint)
    reset_b2_calls(stack)
    failure = _failure_of(write.act, s3)
    if failure is not None:
        _assert_retryable(failure)
        assert versions_of(stack, bucket) == before
        if failure.status is None:
            write.act(s3)  # DeleteObjects: the caller resends the keys that failed
        else:
            # The same fault again, met by a client that retries as SDKs do.
            fault.apply(stack, path.endpoint)
            write.act(clients(attempts=3))
    if fault.name != "expired-token":
        assert b2_calls(stack).get(path.endpoint, 0) >= 1  # the fault was met, not skipped
    write.check(s3, stack)
    assert leased_upload_urls(stack) == 0  # every URL went back to the pool or was dropped


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_write_under_b2_fault_succeeds_or_fails_retryably_storing_nothing(
    stack: Stack, clients: ClientFactory, bucket: str, path: WritePath, fault: B2Fault
) -> None:
    _survives(stack, clients, bucket, path, fault)


DROP_PATHS = [p for p in PATHS if p.endpoint in UPLOAD_CALLS]


@pytest.mark.parametrize("path", DROP_PATHS, ids=[p.name for p in DROP_PATHS])
def test_write_with_b2_connection_lost_mid_body_succeeds_or_stores_nothing(
    stack: Stack, clients: ClientFactory, bucket: str, path: WritePath
) -> None:
    _survives(stack, clients, bucket, path, B2Fault("drop-mid-body", _dropped))


@pytest.mark.parametrize(
    "path",
    [PATHS[0], PATHS[3]],
    ids=[PATHS[0].name, PATHS[3].name],
)
def test_write_when_gateway_retries_run_out_is_retryable_then_sdk_completes(
    stack: Stack, clients: ClientFactory, bucket: str, path: WritePath
) -> None:
    """Five B2 failures in a row exhaust the gateway's own attempts on a buffered body; the
    client's retry wins."""
    sustained = B2Fault(
        "sustained-503",
        _queued(status=503, code="service_unavailable", retry_after=0, count=5),
    )
    s3 = clients()
    write = path.prepare(s3, bucket)
    before = versions_of(stack, bucket)
    sustained.apply(stack, path.endpoint)
    failure = _failure_of(write.act, s3)
    assert failure is not None
    _assert_retryable(failure)
    assert versions_of(stack, bucket) == before
    sustained.apply(stack, path.endpoint)
    write.act(clients(attempts=3))
    write.check(s3, stack)


NON_RETRYABLE = [
    pytest.param({"status": 403, "code": "cap_exceeded"}, id="b2-403-cap-exceeded"),
    pytest.param({"status": 401, "code": "unauthorized"}, id="b2-401-unauthorized"),
]


@pytest.mark.parametrize("refusal", NON_RETRYABLE)
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_write_refused_by_b2_is_access_denied_storing_nothing(
    stack: Stack, clients: ClientFactory, bucket: str, path: WritePath, refusal: dict[str, Any]
) -> None:
    s3 = clients()
    write = path.prepare(s3, bucket)
    before = versions_of(stack, bucket)
    queue_fault(stack, path.endpoint, **refusal)
    failure = _failure_of(write.act, clients(attempts=3))
    assert failure is not None
    assert (failure.code, failure.attempts) == ("AccessDenied", 0)
    assert failure.status in (403, None)
    assert versions_of(stack, bucket) == before


def test_write_refused_by_b2_status_is_403_not_retried(
    stack: Stack, clients: ClientFactory, bucket: str
) -> None:
    """The HTTP side of a refusal: 403 AccessDenied, and a retrying SDK gives up at once."""
    queue_fault(stack, "b2_upload_file", status=403, code="cap_exceeded")
    retrying = clients(attempts=3)
    with pytest.raises(ClientError) as caught:
        retrying.put_object(Bucket=bucket, Key=KEY, Body=b"x")
    response: Any = caught.value.response
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert versions_of(stack, bucket) == []


ANSWER_LOST_PATHS = [p for p in PATHS if p.endpoint not in UPLOAD_CALLS]


@pytest.mark.parametrize("path", ANSWER_LOST_PATHS, ids=[p.name for p in ANSWER_LOST_PATHS])
def test_dropped_answer_after_b2_acted_is_retryable_and_a_retry_converges(
    stack: Stack, clients: ClientFactory, bucket: str, path: WritePath
) -> None:
    """B2 did the work but its answer was lost. The gateway cannot tell (B2 has no idempotency
    key), so the client gets a retryable error; its retry repeats the write. What it reads
    afterwards is right, and the only trace is one duplicate version with identical bytes
    (as an S3 client retrying a PUT into a versioned bucket would leave)."""
    s3 = clients()
    write = path.prepare(s3, bucket)
    _dropped(stack, path.endpoint)
    failure = _failure_of(write.act, s3)
    assert failure is not None, "a lost B2 answer was reported as success"
    _assert_retryable(failure)
    write.act(clients(attempts=3))
    if path.name == "delete-objects":
        write.check(s3, stack)  # deleting a deleted key again adds no second marker
        return
    newest_first = [v for v in stack.versions(bucket) if v.name == KEY]
    assert [v.action for v in newest_first] == ["upload", "upload"]
    # Same bytes twice: without the older duplicate the ordinary checks hold.
    s3.delete_object(Bucket=bucket, Key=KEY, VersionId=newest_first[-1].file_id)
    write.check(s3, stack)
