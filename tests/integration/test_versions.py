"""Object versions end to end: ListObjectVersions, versionId on GET/HEAD/DELETE, and the
x-amz-version-id / x-amz-delete-marker headers, compared with what S3 documents."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.s3 import errors
from tests.integration.conftest import Stack
from tests.integration.helpers import refused


def test_put_overwrite_delete_sequence_lists_like_s3(s3: Any, stack: Stack, bucket: str) -> None:
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]

    page = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in page["Versions"]] == [
        ("k", v2, False),
        ("k", v1, False),
    ]
    assert [(d["Key"], d["VersionId"], d["IsLatest"]) for d in page["DeleteMarkers"]] == [
        ("k", marker, True)
    ]
    assert page["Versions"][0]["ETag"] == f'"{hashlib.md5(b"two").hexdigest()}"'
    assert page["Versions"][0]["Size"] == 3
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)

    # Old versions stay readable by id.
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=v2)["VersionId"] == v2

    # Deleting the delete marker brings the object back (S3: "undelete").
    gone = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert gone["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    page = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in page["Versions"]] == [(v2, True), (v1, False)]
    assert "DeleteMarkers" not in page

    # Deleting the latest version makes the previous one current.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)
    assert stack.versions(bucket) == []


def test_version_listing_pages_with_key_and_version_markers(s3: Any, bucket: str) -> None:
    made = []
    for key in ("a", "b", "c"):
        for body in (b"1", b"2"):
            made.append((key, s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]))
    s3.delete_object(Bucket=bucket, Key="b")
    full = s3.list_object_versions(Bucket=bucket)
    expected = sorted(
        [(v["Key"], v["VersionId"]) for v in full["Versions"] + full["DeleteMarkers"]]
    )
    seen: list[tuple[str, str]] = []
    markers: dict[str, str] = {}
    pages = 0
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=2, **markers)
        pages += 1
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) <= 2
        seen += [(e["Key"], e["VersionId"]) for e in entries]
        if not page["IsTruncated"]:
            break
        markers = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }
    assert sorted(seen) == expected
    assert len(seen) == len(made) + 1
    assert pages == 4


def test_version_listing_with_prefix_delimiter_and_url_encoding(s3: Any, bucket: str) -> None:
    for key in ("dir/a", "dir/b", "top", "dir/sub/c", "sp ace+"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["dir/"]
    assert [v["Key"] for v in rolled["Versions"]] == ["sp ace+", "top"]
    under = s3.list_object_versions(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert [v["Key"] for v in under["Versions"]] == ["dir/a", "dir/b"]
    assert [p["Prefix"] for p in under["CommonPrefixes"]] == ["dir/sub/"]
    encoded = s3.list_object_versions(Bucket=bucket, Prefix="sp", EncodingType="url")
    # An explicit EncodingType is left to the caller to decode (botocore decodes only its own).
    assert [v["Key"] for v in encoded["Versions"]] == ["sp%20ace%2B"]


def test_version_id_marker_without_key_marker_is_refused(s3: Any, bucket: str) -> None:
    with refused(errors.InvalidArgument):
        s3.list_object_versions(Bucket=bucket, VersionIdMarker="x")


def test_delete_of_absent_key_answers_204_but_creates_no_marker(
    s3: Any, stack: Stack, bucket: str
) -> None:
    answer = s3.delete_object(Bucket=bucket, Key="never-there")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert stack.versions(bucket) == []  # S3 would hold a delete marker; B2 cannot


def _refusal(call: Any) -> tuple[int, str | None, str | None]:
    with pytest.raises(ClientError) as caught:
        call()
    response: Any = caught.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, headers.get("x-amz-delete-marker"), headers.get("x-amz-version-id")


def test_get_and_head_of_a_deleted_key_say_delete_marker(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    assert _refusal(lambda: s3.get_object(Bucket=bucket, Key="k")) == (404, "true", marker)
    assert _refusal(lambda: s3.head_object(Bucket=bucket, Key="k")) == (404, "true", marker)
    by_id = _refusal(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=marker))
    assert by_id == (405, "true", marker)
    assert _refusal(lambda: s3.head_object(Bucket=bucket, Key="k", VersionId=marker))[0] == 405


def test_get_and_head_of_a_never_written_key_carry_no_delete_marker(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")  # a neighbour, so the listing finds a file
    assert _refusal(lambda: s3.get_object(Bucket=bucket, Key="j")) == (404, None, None)
    assert _refusal(lambda: s3.head_object(Bucket=bucket, Key="j")) == (404, None, None)
