"""PutObject / GetObject / HeadObject / DeleteObject through boto3, every client flavour."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import zlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.s3 import errors
from gateway.translate.names import ESCAPED_ROOT
from tests.integration.conftest import PUT_BUFFER, Stack
from tests.integration.helpers import refused

AWKWARD_KEYS = [
    "plain.txt",
    "with space/and more",
    "plus+sign",
    "percent%20literal%",
    "unicodé/日本語/😀",
    "folder/",
    "double//slash",
    "/leading",
    "back\\slash",
    "tab\there",
    "x" * 300,  # a segment longer than B2's 250 bytes
]


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.mark.parametrize("size", [0, 1, 70_000], ids=["empty", "one-byte", "70k"])
def test_put_get_small_object_round_trip(any_s3: Any, bucket: str, size: int) -> None:
    data = os.urandom(size)
    put = any_s3.put_object(Bucket=bucket, Key="k", Body=data)
    assert put["ETag"] == f'"{_md5(data)}"'
    got = any_s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"]
    assert got["VersionId"] == put["VersionId"]
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ContentLength"] == size


@pytest.mark.timeout(300)
def test_put_get_streamed_object_above_buffer(any_s3: Any, stack: Stack, bucket: str) -> None:
    data = os.urandom(3 * PUT_BUFFER + 12345)
    put = any_s3.put_object(Bucket=bucket, Key="big/object", Body=data)
    assert put["ETag"] == f'"{_md5(data)}"'
    got = any_s3.get_object(Bucket=bucket, Key="big/object")
    body = got["Body"].read()
    assert len(body) == len(data)
    assert body == data
    assert got["ETag"] == put["ETag"]
    head = any_s3.head_object(Bucket=bucket, Key="big/object")
    assert head["ETag"] == put["ETag"]
    assert head["ContentLength"] == len(data)
    assert [v.action for v in stack.versions(bucket)] == ["upload"]


def test_put_streamed_with_content_md5_keeps_etag_in_file_info(
    s3: Any, stack: Stack, bucket: str
) -> None:
    data = os.urandom(PUT_BUFFER + 1)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    s3.put_object(Bucket=bucket, Key="k", Body=data, ContentMD5=md5)
    found = stack.call(stack.b2.get_bucket(bucket))
    listed = stack.call(stack.b2.list_file_names(found.bucket_id))
    assert f"etag={_md5(data)}" in listed.files[0].file_info["s3gw"]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_round_trip(s3: Any, stack: Stack, bucket: str, key: str) -> None:
    data = key.encode() * 3
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    names = [v.name for v in stack.versions(bucket)]
    assert len(names) == 1
    assert names[0] == key or names[0].startswith(ESCAPED_ROOT)
    s3.delete_object(Bucket=bucket, Key=key)
    with refused(errors.NoSuchKey):
        s3.get_object(Bucket=bucket, Key=key)


def test_awkward_keys_on_https_default_checksums(s3_factory: Any, bucket: str) -> None:
    client = s3_factory(https=True)
    for key in AWKWARD_KEYS:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()


def test_put_metadata_and_content_headers_come_back(s3: Any, bucket: str) -> None:
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"data",
        ContentType="text/plain; charset=utf-8",
        ContentDisposition='attachment; filename="a.txt"',
        ContentLanguage="en",
        ContentEncoding="identity",
        CacheControl="max-age=60",
        Expires=expires,
        Metadata={"color": "blue", "Mixed-Case": "Value"},
    )
    for response in (s3.head_object(Bucket=bucket, Key="k"), s3.get_object(Bucket=bucket, Key="k")):
        assert response["ContentType"] == "text/plain; charset=utf-8"
        assert response["ContentDisposition"] == 'attachment; filename="a.txt"'
        assert response["ContentLanguage"] == "en"
        assert response["ContentEncoding"] == "identity"
        assert response["CacheControl"] == "max-age=60"
        assert response["Expires"] == expires
        assert response["Metadata"] == {"color": "blue", "mixed-case": "Value"}
        assert response["AcceptRanges"] == "bytes"
        assert response["LastModified"].year >= 2026


def test_put_echoes_and_get_returns_client_checksum(s3: Any, bucket: str) -> None:
    data = b"checksummed"
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"] == _crc32(data)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == _crc32(data)
    assert got["Body"].read() == data
    plain = s3.head_object(Bucket=bucket, Key="k")
    assert "ChecksumCRC32" not in plain


def test_put_sha256_checksum_round_trip(s3: Any, bucket: str) -> None:
    data = b"sha256 body"
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumSHA256=digest)
    assert put["ChecksumSHA256"] == digest
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == digest


def test_put_overwrites_and_versions_stay_readable(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert first != second
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    old = s3.get_object(Bucket=bucket, Key="k", VersionId=first)
    assert old["Body"].read() == b"one"
    assert old["VersionId"] == first
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=first)["ContentLength"] == 3


def test_get_version_of_another_key_is_no_such_version(s3: Any, bucket: str) -> None:
    other = s3.put_object(Bucket=bucket, Key="other", Body=b"x")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"y")
    with refused(errors.NoSuchVersion):
        s3.get_object(Bucket=bucket, Key="k", VersionId=other)


def test_get_missing_key(s3: Any, bucket: str) -> None:
    with refused(errors.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="nothing")
    with refused(errors.NoSuchKey):
        s3.head_object(Bucket=bucket, Key="nothing")


def test_get_missing_bucket(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.get_object(Bucket=bucket_name, Key="k")


# --- ranges -------------------------------------------------------------------------------


@pytest.fixture
def digits(s3: Any, bucket: str) -> tuple[Any, str]:
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    return s3, bucket


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=2-5", b"2345", "bytes 2-5/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=-30", b"0123456789", "bytes 0-9/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
        ("bytes=0-9", b"0123456789", "bytes 0-9/10"),
    ],
)
def test_get_range(digits: tuple[Any, str], header: str, body: bytes, content_range: str) -> None:
    s3, bucket = digits
    got = s3.get_object(Bucket=bucket, Key="digits", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=-0", "bytes=50-60"])
def test_get_range_not_satisfiable(digits: tuple[Any, str], header: str) -> None:
    s3, bucket = digits
    with refused(errors.InvalidRange):
        s3.get_object(Bucket=bucket, Key="digits", Range=header)


@pytest.mark.parametrize("header", ["bytes=5-2", "bytes=0-1,3-4", "items=0-1", "bytes=x-"])
def test_get_unusable_range_ignored_as_s3_does(digits: tuple[Any, str], header: str) -> None:
    s3, bucket = digits
    got = s3.get_object(Bucket=bucket, Key="digits", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == b"0123456789"


def test_head_range(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    head = s3.head_object(Bucket=bucket, Key="digits", Range="bytes=1-2")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 2
    assert head["ContentRange"] == "bytes 1-2/10"


# --- preconditions --------------------------------------------------------------------------


def test_get_if_match(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    etag = s3.head_object(Bucket=bucket, Key="digits")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="digits", IfMatch=etag)["Body"].read()
    with refused(errors.PreconditionFailed):
        s3.get_object(Bucket=bucket, Key="digits", IfMatch='"0123"')
    with refused(errors.PreconditionFailed):
        s3.head_object(Bucket=bucket, Key="digits", IfMatch='"0123"')


def test_get_if_none_match_not_modified(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    etag = s3.head_object(Bucket=bucket, Key="digits")["ETag"]
    with refused(errors.NotModified):
        s3.get_object(Bucket=bucket, Key="digits", IfNoneMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="digits", IfNoneMatch='"other"')["Body"].read()


def test_get_if_modified_since(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    modified = s3.head_object(Bucket=bucket, Key="digits")["LastModified"]
    with refused(errors.NotModified):
        s3.get_object(Bucket=bucket, Key="digits", IfModifiedSince=modified)
    earlier = modified - dt.timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="digits", IfModifiedSince=earlier)["Body"].read()


def test_get_if_unmodified_since(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    modified = s3.head_object(Bucket=bucket, Key="digits")["LastModified"]
    with refused(errors.PreconditionFailed):
        s3.get_object(
            Bucket=bucket, Key="digits", IfUnmodifiedSince=modified - dt.timedelta(days=1)
        )
    assert s3.get_object(Bucket=bucket, Key="digits", IfUnmodifiedSince=modified)["Body"].read()


def test_get_true_if_match_overrides_false_if_unmodified_since(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    head = s3.head_object(Bucket=bucket, Key="digits")
    got = s3.get_object(
        Bucket=bucket,
        Key="digits",
        IfMatch=head["ETag"],
        IfUnmodifiedSince=head["LastModified"] - dt.timedelta(days=1),
    )
    assert got["Body"].read() == b"0123456789"


def test_get_false_if_none_match_overrides_true_if_modified_since(
    digits: tuple[Any, str],
) -> None:
    s3, bucket = digits
    head = s3.head_object(Bucket=bucket, Key="digits")
    with refused(errors.NotModified):
        s3.get_object(
            Bucket=bucket,
            Key="digits",
            IfNoneMatch=head["ETag"],
            IfModifiedSince=head["LastModified"] - dt.timedelta(days=1),
        )


def test_get_response_header_overrides(digits: tuple[Any, str]) -> None:
    s3, bucket = digits
    got = s3.get_object(
        Bucket=bucket,
        Key="digits",
        ResponseContentType="application/x-test",
        ResponseContentDisposition="inline",
        ResponseCacheControl="no-store",
        ResponseContentLanguage="fr",
    )
    assert got["ContentType"] == "application/x-test"
    assert got["ContentDisposition"] == "inline"
    assert got["CacheControl"] == "no-store"
    assert got["ContentLanguage"] == "fr"


# --- deletes --------------------------------------------------------------------------------


def test_delete_object_makes_delete_marker(s3: Any, stack: Stack, bucket: str) -> None:
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    assert deleted["VersionId"] != version
    with refused(errors.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="k")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=version)["Body"].read() == b"x"
    assert sorted(v.action for v in stack.versions(bucket)) == ["hide", "upload"]


def test_delete_missing_or_already_deleted_key_is_204(s3: Any, bucket: str) -> None:
    response = s3.delete_object(Bucket=bucket, Key="never-there")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="k")
    again = s3.delete_object(Bucket=bucket, Key="k")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_version_removes_it(s3: Any, stack: Stack, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    deleted = s3.delete_object(Bucket=bucket, Key="k", VersionId=first)
    assert deleted["VersionId"] == first
    assert [v.file_id for v in stack.versions(bucket)].count(first) == 0
    with refused(errors.NoSuchVersion):
        s3.get_object(Bucket=bucket, Key="k", VersionId=first)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"2"


def test_delete_missing_bucket(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.delete_object(Bucket=bucket_name, Key="k")


def test_get_delete_marker_version_is_method_not_allowed(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with refused(errors.MethodNotAllowed):
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="k", VersionId=marker)
    headers = caught.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert headers["x-amz-delete-marker"] == "true"
    assert headers["x-amz-version-id"] == marker


def test_get_unknown_version_id(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with refused(errors.NoSuchVersion):
        s3.get_object(Bucket=bucket, Key="k", VersionId="4_zbogus")
    with refused(errors.NoSuchVersion):
        s3.head_object(Bucket=bucket, Key="k", VersionId="4_zbogus")
