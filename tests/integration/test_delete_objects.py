"""DeleteObjects through boto3 (which sends a CRC32 checksum, not Content-MD5)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.s3 import errors
from tests.integration.conftest import S3Factory, Stack
from tests.integration.helpers import refused
from tests.integration.test_objects import AWKWARD_KEYS


@pytest.mark.parametrize("checksums", ["when_supported", "when_required"])
def test_delete_objects_awkward_keys(s3_factory: S3Factory, bucket: str, checksums: str) -> None:
    s3 = s3_factory(checksums=checksums)
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": k} for k in [*AWKWARD_KEYS, "absent"]]}
    )
    assert sorted(d["Key"] for d in response["Deleted"]) == sorted([*AWKWARD_KEYS, "absent"])
    markers = [d for d in response["Deleted"] if d.get("DeleteMarker")]
    assert sorted(d["Key"] for d in markers) == sorted(AWKWARD_KEYS)
    assert all(d["DeleteMarkerVersionId"] for d in markers)
    assert "Errors" not in response
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_delete_objects_quiet_reports_only_errors(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True}
    )
    assert "Deleted" not in response
    assert "Errors" not in response
    with refused(errors.NoSuchKey):
        s3.head_object(Bucket=bucket, Key="a")


def test_delete_objects_versions(s3: Any, stack: Stack, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    response = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "k", "VersionId": first}, {"Key": "k", "VersionId": second}]},
    )
    assert sorted(d["VersionId"] for d in response["Deleted"]) == sorted([first, second])
    assert stack.versions(bucket) == []


def test_delete_objects_per_key_errors(s3: Any, stack: Stack, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x")
    stack.inject("b2_hide_file", 403, "access_denied")
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "ok"}]})
    assert response["Errors"] == [
        {"Key": "ok", "Code": errors.AccessDenied.code, "Message": response["Errors"][0]["Message"]}
    ]
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == b"x"


def test_delete_objects_key_too_long_once_escaped_is_a_per_key_error(s3: Any, bucket: str) -> None:
    key = "/" + "\\" * 1000
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key}]})
    assert response["Errors"][0]["Code"] == errors.KeyTooLongError.code


def test_delete_objects_more_than_1000_keys_malformed(s3: Any, bucket: str) -> None:
    with refused(errors.MalformedXML):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]}
        )


def test_delete_objects_1000_keys(s3: Any, stack: Stack, bucket: str) -> None:
    found = stack.call(stack.b2.get_bucket(bucket))
    for i in range(0, 1000, 100):
        stack.call(stack.b2.upload_file(found.bucket_id, f"k{i:04d}", b"x"))
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": f"k{i:04d}"} for i in range(1000)]}
    )
    assert len(response["Deleted"]) == 1000
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_delete_objects_missing_bucket(s3: Any, bucket_name: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.delete_objects(Bucket=bucket_name, Delete={"Objects": [{"Key": "k"}]})
    assert caught.value.response["Error"]["Code"] == errors.NoSuchBucket.code
