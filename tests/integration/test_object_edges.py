"""GetObject partNumber, and PUTs above B2's simple-upload limit (large files behind the scenes;
the test gateway lowers that limit so this runs in seconds)."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest

from gateway.s3 import errors
from tests.integration.conftest import B2_SIMPLE_LIMIT, S3Factory, Stack
from tests.integration.helpers import refused, refused_storing_nothing


def test_get_part_number_one_is_the_whole_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="k", PartNumber=1)
    assert got["Body"].read() == b"0123456789"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 0-9/10"
    head = s3.head_object(Bucket=bucket, Key="k", PartNumber=1)
    assert head["ContentLength"] == 10


def test_get_part_number_one_of_empty_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="k", PartNumber=1)
    assert got["Body"].read() == b""


def test_get_part_number_beyond_parts(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    with refused(errors.InvalidPartNumber):
        s3.get_object(Bucket=bucket, Key="k", PartNumber=2)


def test_get_part_number_with_range_refused(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    with refused(errors.InvalidRequest):
        s3.get_object(Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-1")


def test_get_part_number_out_of_range_refused(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    with refused(errors.InvalidArgument):
        s3.get_object(Bucket=bucket, Key="k", PartNumber=10001)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("checksums", ["when_supported", "when_required"])
def test_put_above_b2_simple_limit_becomes_large_file(
    s3_factory: S3Factory, stack: Stack, bucket: str, https: bool, checksums: str
) -> None:
    s3 = s3_factory(https=https, checksums=checksums)
    data = os.urandom(B2_SIMPLE_LIMIT + 2 * 1024 * 1024 + 3)
    put = s3.put_object(Bucket=bucket, Key="big", Body=data)
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"]
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [("big", len(data), put["ETag"])]
    versions = stack.versions(bucket)
    assert [v.action for v in versions] == ["upload"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "claim",
    [
        {"ContentMD5": base64.b64encode(hashlib.md5(b"other").digest()).decode()},
        {"ChecksumSHA256": base64.b64encode(hashlib.sha256(b"other").digest()).decode()},
    ],
    ids=["content-md5-direct", "sha256-staged"],
)
def test_put_large_with_wrong_digest_stores_nothing(
    s3: Any, stack: Stack, bucket: str, claim: dict[str, str]
) -> None:
    """With Content-MD5 the large file is written in place; without it the bytes are staged
    under the reserved prefix first. Either way a bad body leaves nothing behind."""
    data = os.urandom(B2_SIMPLE_LIMIT + 1024 * 1024)
    refused_storing_nothing(
        stack,
        bucket,
        errors.BadDigest,
        lambda: s3.put_object(Bucket=bucket, Key="big", Body=data, **claim),
    )
