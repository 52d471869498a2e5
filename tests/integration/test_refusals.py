"""Every refused write leaves B2 exactly as it was: no new file version, no unfinished file."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from gateway.s3 import errors
from tests.integration.conftest import PUT_BUFFER, S3Factory, Stack
from tests.integration.helpers import refused, refused_storing_nothing


def _b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.mark.parametrize("size", [10, PUT_BUFFER + 10], ids=["buffered", "streamed"])
def test_put_wrong_content_md5_stores_nothing(
    s3: Any, stack: Stack, bucket: str, size: int
) -> None:
    data = os.urandom(size)
    refused_storing_nothing(
        stack,
        bucket,
        errors.BadDigest,
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=data, ContentMD5=_b64md5(b"other")),
    )


@pytest.mark.parametrize("size", [10, PUT_BUFFER + 10], ids=["buffered", "streamed"])
def test_put_wrong_checksum_header_stores_nothing(
    s3: Any, stack: Stack, bucket: str, size: int
) -> None:
    data = os.urandom(size)
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    refused_storing_nothing(
        stack,
        bucket,
        errors.BadDigest,
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumSHA256=wrong),
    )


def _tamper_body(request: Any, **_: Any) -> None:
    """After signing, change one byte of the body: the signed payload hash no longer holds."""
    body = request.body
    data = body if isinstance(body, bytes) else body.read()
    request.body = bytes([data[0] ^ 1]) + data[1:]


@pytest.mark.parametrize("size", [10, PUT_BUFFER + 10], ids=["buffered", "streamed"])
def test_put_body_not_matching_signed_sha256_stores_nothing(
    s3_factory: S3Factory, stack: Stack, bucket: str, size: int
) -> None:
    client = s3_factory(checksums="when_required")
    client.meta.events.register("before-send.s3.PutObject", _tamper_body)
    refused_storing_nothing(
        stack,
        bucket,
        errors.XAmzContentSHA256Mismatch,
        lambda: client.put_object(Bucket=bucket, Key="k", Body=os.urandom(size)),
    )


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32}, errors.NotImplemented),
        ({"ObjectLockLegalHoldStatus": "ON"}, errors.NotImplemented),
        ({"WebsiteRedirectLocation": "/x"}, errors.NotImplemented),
        ({"ACL": "public-read"}, errors.NotImplemented),
        ({"Tagging": "a=b"}, errors.NotImplemented),
        ({"ServerSideEncryption": "aws:kms"}, errors.NotImplemented),
        ({"Metadata": {"b2-reserved": "x"}}, errors.InvalidArgument),
        ({"Metadata": {"s3gw": "x"}}, errors.InvalidArgument),
        ({"Metadata": {f"k{i}": "v" for i in range(10)}}, errors.MetadataTooLarge),
        ({"Metadata": {"big": "v" * 3000}}, errors.MetadataTooLarge),
        ({"Metadata": {"k" * 60: "v"}}, errors.MetadataTooLarge),
    ],
)
def test_put_refused_headers_store_nothing(
    s3: Any, stack: Stack, bucket: str, extra: dict[str, Any], error: Any
) -> None:
    refused_storing_nothing(
        stack, bucket, error, lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", **extra)
    )


def test_put_accepted_harmless_headers(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"x",
        ACL="private",
        ServerSideEncryption="AES256",
        StorageClass="STANDARD",
    )


def test_put_key_too_long_once_escaped_stores_nothing(s3: Any, stack: Stack, bucket: str) -> None:
    key = "/" + "\\" * 1000  # 1001 bytes: S3 takes it, its escaped form exceeds 1024
    refused_storing_nothing(
        stack,
        bucket,
        errors.KeyTooLongError,
        lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x"),
    )


def test_put_without_length_is_missing_content_length(stack: Stack, bucket: str) -> None:
    """HTTP chunked transfer with no declared length: S3 requires one (411)."""
    url = f"{stack.gateway.http_url}/{bucket}/k"
    request = AWSRequest("PUT", url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    credentials = Credentials(stack.emulator.key_id, stack.emulator.key)
    S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
    before = stack.versions(bucket)
    host, port = stack.gateway.http_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("PUT", f"/{bucket}/k", skip_accept_encoding=True)
        for name, value in request.headers.items():
            connection.putheader(name, value)
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        connection.send(b"3\r\nabc\r\n0\r\n\r\n")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == errors.MissingContentLength.status
    assert f"<Code>{errors.MissingContentLength.code}</Code>".encode() in body
    assert stack.versions(bucket) == before


def test_put_buffered_b2_unavailable_is_retried(s3: Any, stack: Stack, bucket: str) -> None:
    stack.inject("b2_upload_file", 503, "service_unavailable", retry_after=2)
    s3.put_object(Bucket=bucket, Key="k", Body=b"small body")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small body"
    assert len(stack.versions(bucket)) == 1


@pytest.mark.parametrize(
    ("fault", "retry_after"),
    [
        ({"status": 503, "code": "service_unavailable", "retry_after": 2}, "2"),
        ({"status": None, "code": "", "drop": "mid_body"}, "1"),
    ],
    ids=["b2-503", "connection-lost-mid-body"],
)
def test_put_streamed_b2_failure_is_service_unavailable_storing_nothing(
    s3: Any, stack: Stack, bucket: str, fault: dict[str, Any], retry_after: str
) -> None:
    """A streamed body cannot be replayed: the client gets ServiceUnavailable + Retry-After
    (SDKs retry it) and B2 holds nothing."""
    stack.inject("b2_upload_file", **fault)
    before = stack.versions(bucket)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=os.urandom(PUT_BUFFER + 10))
    response: Any = caught.value.response
    assert response["Error"]["Code"] == errors.ServiceUnavailable.code
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == retry_after
    assert stack.versions(bucket) == before


def test_put_buffered_b2_connection_lost_mid_body_is_retried(
    s3: Any, stack: Stack, bucket: str
) -> None:
    stack.inject("b2_upload_file", None, "", drop="mid_body")
    s3.put_object(Bucket=bucket, Key="k", Body=b"small body")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small body"


def test_put_b2_cap_exceeded_is_access_denied(s3: Any, stack: Stack, bucket: str) -> None:
    stack.inject("b2_get_upload_url", 403, "storage_cap_exceeded")
    refused_storing_nothing(
        stack, bucket, errors.AccessDenied, lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    )


def test_put_missing_bucket(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.put_object(Bucket=bucket_name, Key="k", Body=b"x")
