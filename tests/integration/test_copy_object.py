"""CopyObject through boto3: directives, versions, conditions, other buckets, large sources."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

import pytest

from gateway.s3 import errors
from tests.integration.conftest import B2_SIMPLE_LIMIT, Stack
from tests.integration.helpers import refused, refused_storing_nothing
from tests.integration.test_objects import AWKWARD_KEYS


def _source(s3: Any, bucket: str, key: str = "src", body: bytes = b"source body") -> Any:
    return s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="text/plain",
        CacheControl="max-age=5",
        Metadata={"origin": "source"},
        ChecksumAlgorithm="CRC32",
    )


def test_copy_object_keeps_metadata_and_etag(s3: Any, bucket: str) -> None:
    put = _source(s3, bucket)
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == put["ETag"]
    assert copied["CopySourceVersionId"] == put["VersionId"]
    assert copied["VersionId"] != put["VersionId"]
    got = s3.get_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"source body"
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "text/plain"
    assert got["CacheControl"] == "max-age=5"
    assert got["Metadata"] == {"origin": "source"}
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]


def test_copy_object_replace_metadata(s3: Any, bucket: str) -> None:
    put = _source(s3, bucket)
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"new": "yes"},
    )
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"new": "yes"}
    assert "CacheControl" not in head
    assert head["ETag"] == put["ETag"]


def test_copy_object_onto_itself_needs_replace(s3: Any, stack: Stack, bucket: str) -> None:
    _source(s3, bucket)
    refused_storing_nothing(
        stack,
        bucket,
        errors.InvalidRequest,
        lambda: s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src"),
    )
    s3.copy_object(
        Bucket=bucket,
        Key="src",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"changed": "1"},
    )
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"changed": "1"}


def test_copy_object_from_version(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="src", Body=b"first")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"second")
    s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": first}
    )
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"first"


def test_copy_object_other_bucket(s3: Any, bucket: str) -> None:
    _source(s3, bucket)
    other = f"{bucket}-to"
    s3.create_bucket(Bucket=other)
    s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object(Bucket=other, Key="dst")["Body"].read() == b"source body"


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_copy_object_awkward_keys(s3: Any, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.copy_object(Bucket=bucket, Key=key + "-copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=key + "-copy")["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted([key, key + "-copy"], key=lambda k: k.encode())
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key}, {"Key": key + "-copy"}]})
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_copy_object_missing_source(s3: Any, stack: Stack, bucket: str) -> None:
    refused_storing_nothing(
        stack,
        bucket,
        errors.NoSuchKey,
        lambda: s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/absent"),
    )


def test_copy_object_missing_source_version(s3: Any, stack: Stack, bucket: str) -> None:
    other = s3.put_object(Bucket=bucket, Key="other", Body=b"x")["VersionId"]
    refused_storing_nothing(
        stack,
        bucket,
        errors.NoSuchVersion,
        lambda: s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "src", "VersionId": other},
        ),
    )


def test_copy_object_missing_source_bucket(s3: Any, bucket: str, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket_name}-none/src")


def test_copy_object_bad_directive(s3: Any, stack: Stack, bucket: str) -> None:
    _source(s3, bucket)

    def bad_directive(request: Any, **_: Any) -> None:
        request.headers["x-amz-metadata-directive"] = "MOVE"

    s3.meta.events.register("before-sign.s3.CopyObject", bad_directive)
    refused_storing_nothing(
        stack,
        bucket,
        errors.InvalidArgument,
        lambda: s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src"),
    )


def test_copy_object_source_conditions(s3: Any, stack: Stack, bucket: str) -> None:
    put = _source(s3, bucket)
    modified = s3.head_object(Bucket=bucket, Key="src")["LastModified"]
    day = dt.timedelta(days=1)
    failing: list[dict[str, Any]] = [
        {"CopySourceIfMatch": '"0000"'},
        {"CopySourceIfNoneMatch": put["ETag"]},
        {"CopySourceIfModifiedSince": modified + day},
        {"CopySourceIfUnmodifiedSince": modified - day},
    ]
    for condition in failing:
        refused_storing_nothing(
            stack,
            bucket,
            errors.PreconditionFailed,
            lambda c=condition: s3.copy_object(
                Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", **c
            ),
        )
    s3.copy_object(
        Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", CopySourceIfMatch=put["ETag"]
    )


def test_copy_object_refused_header(s3: Any, stack: Stack, bucket: str) -> None:
    _source(s3, bucket)
    refused_storing_nothing(
        stack,
        bucket,
        errors.NotImplemented,
        lambda: s3.copy_object(
            Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", ACL="public-read"
        ),
    )


@pytest.mark.timeout(300)
def test_copy_object_large_source_via_copied_parts(s3: Any, stack: Stack, bucket: str) -> None:
    data = os.urandom(B2_SIMPLE_LIMIT + 1024 * 1024 + 7)
    put = s3.put_object(Bucket=bucket, Key="big", Body=data)
    copied = s3.copy_object(Bucket=bucket, Key="big-copy", CopySource=f"{bucket}/big")
    assert copied["CopyObjectResult"]["ETag"] == put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="big-copy")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"]
    found = stack.call(stack.b2.get_bucket(bucket))
    listed = stack.call(stack.b2.list_file_names(found.bucket_id))
    assert [f.content_sha1 for f in listed.files] == ["none", "none"]  # both B2 large files
