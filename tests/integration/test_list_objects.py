"""ListObjects v1 and v2 through boto3: 2,500 keys (awkward ones included) against a brute-force
reference, for many page sizes, prefixes and delimiters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.s3 import errors
from gateway.translate.names import b2_name
from tests.integration.conftest import Stack
from tests.integration.helpers import refused

AWKWARD = [
    "d1/with space",
    "d1/plus+sign",
    "d1/percent%41",
    "d1/unicodé-日本",
    "d1/emoji-😀",
    "d1/folder/",
    "d1//double",
    "d1/back\\slash",
    "/leading",
    "d2/",
    "d2/tab\tkey",
]


def _keys() -> list[str]:
    keys = set(AWKWARD)
    i = 0
    while len(keys) < 2500:
        top = f"d{i % 7}/"
        sub = f"s{i % 5}/" if i % 3 else ""
        keys.add(f"{top}{sub}k{i:04d}")
        i += 1
    return sorted(keys)


KEYS = _keys()
SMALL_PREFIX = "d1/s"  # about 200 keys: cheap enough for page size 1


def reference(prefix: str, delimiter: str | None) -> tuple[list[str], list[str]]:
    """What S3 lists (keys, common prefixes), by brute force."""
    keys: list[str] = []
    prefixes: list[str] = []
    for key in KEYS:
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut < 0:
            keys.append(key)
        elif (rolled := key[: cut + len(delimiter or "")]) not in prefixes:
            prefixes.append(rolled)
    return keys, prefixes


@pytest.fixture(scope="module")
def listed_bucket(stack: Stack) -> Iterator[str]:
    name = "listing-2500-keys"

    async def fill() -> None:
        bucket = await stack.b2.create_bucket(name)
        gate = asyncio.Semaphore(16)

        async def put(key: str) -> None:
            async with gate:
                await stack.b2.upload_file(bucket.bucket_id, b2_name(key), key.encode())

        await asyncio.gather(*(put(key) for key in KEYS))

    stack.call(fill())
    return name


def _first_request(bucket: str, prefix: str, delimiter: str | None, page: int) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    return kwargs


def _list_v2(s3: Any, bucket: str, prefix: str, delimiter: str | None, page: int) -> Any:
    keys: list[str] = []
    prefixes: list[str] = []
    kwargs = _first_request(bucket, prefix, delimiter, page)
    while True:
        response = s3.list_objects_v2(**kwargs)
        assert response["KeyCount"] == len(response.get("Contents", [])) + len(
            response.get("CommonPrefixes", [])
        )
        assert response["KeyCount"] <= page
        keys += [o["Key"] for o in response.get("Contents", [])]
        prefixes += [p["Prefix"] for p in response.get("CommonPrefixes", [])]
        if not response["IsTruncated"]:
            return keys, prefixes
        kwargs["ContinuationToken"] = response["NextContinuationToken"]


def _list_v1(s3: Any, bucket: str, prefix: str, delimiter: str | None, page: int) -> Any:
    keys: list[str] = []
    prefixes: list[str] = []
    kwargs = _first_request(bucket, prefix, delimiter, page)
    while True:
        response = s3.list_objects(**kwargs)
        contents = [o["Key"] for o in response.get("Contents", [])]
        common = [p["Prefix"] for p in response.get("CommonPrefixes", [])]
        keys += contents
        prefixes += common
        if not response["IsTruncated"]:
            assert "NextMarker" not in response
            return keys, prefixes
        if delimiter:
            kwargs["Marker"] = response["NextMarker"]
            assert response["NextMarker"] == max([*contents, *common])
        else:
            assert "NextMarker" not in response
            kwargs["Marker"] = contents[-1]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", [1, 2, 3, 10, 99, 100, 101, 333, 999, 1000])
def test_list_v2_small_prefix_every_page_size(s3: Any, listed_bucket: str, page: int) -> None:
    for delimiter in (None, "/"):
        assert _list_v2(s3, listed_bucket, SMALL_PREFIX, delimiter, page) == reference(
            SMALL_PREFIX, delimiter
        )


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", [7, 100, 250, 999, 1000])
@pytest.mark.parametrize(
    ("prefix", "delimiter"),
    [("", None), ("", "/"), ("d1/", "/"), ("d1/", None), ("d", "/"), ("d3/s", "/"), ("", "s")],
)
def test_list_v2_all_keys_page_sizes(
    s3: Any, listed_bucket: str, prefix: str, delimiter: str | None, page: int
) -> None:
    assert _list_v2(s3, listed_bucket, prefix, delimiter, page) == reference(prefix, delimiter)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", [1, 7, 100, 1000])
@pytest.mark.parametrize(("prefix", "delimiter"), [(SMALL_PREFIX, None), (SMALL_PREFIX, "/")])
def test_list_v1_small_prefix_page_sizes(
    s3: Any, listed_bucket: str, prefix: str, delimiter: str | None, page: int
) -> None:
    assert _list_v1(s3, listed_bucket, prefix, delimiter, page) == reference(prefix, delimiter)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("prefix", "delimiter"), [("", None), ("", "/"), ("d1/", "/")])
def test_list_v1_all_keys(s3: Any, listed_bucket: str, prefix: str, delimiter: str | None) -> None:
    assert _list_v1(s3, listed_bucket, prefix, delimiter, 400) == reference(prefix, delimiter)


@pytest.mark.timeout(600)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(["", "d", "d1", "d1/", "d1/s", "d2/", "d6/s4/", "/", "zz", "d1/s1/k"]),
    delimiter=st.sampled_from([None, "/", "s", "k0", "1"]),
    page=st.integers(min_value=8, max_value=1000),
)
def test_list_v2_matches_reference(
    s3: Any, listed_bucket: str, prefix: str, delimiter: str | None, page: int
) -> None:
    assert _list_v2(s3, listed_bucket, prefix, delimiter, page) == reference(prefix, delimiter)


def test_list_v2_start_after_and_entries(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(
        Bucket=listed_bucket, Prefix="d1/", StartAfter="d1/percent%41", MaxKeys=3, FetchOwner=True
    )
    keys, _ = reference("d1/", None)
    expected = [k for k in keys if k > "d1/percent%41"][:3]
    assert [o["Key"] for o in response["Contents"]] == expected
    assert response["StartAfter"] == "d1/percent%41"
    first = response["Contents"][0]
    assert first["Owner"]["ID"]
    assert first["ETag"].startswith('"')
    assert len(first["ETag"]) == 34
    assert first["Size"] == len(first["Key"].encode())
    assert first["StorageClass"] == "STANDARD"


def test_list_v2_without_fetch_owner_has_no_owner(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=1)
    assert "Owner" not in response["Contents"][0]


def test_list_v2_max_keys_zero(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=0)
    assert response["KeyCount"] == 0
    assert "Contents" not in response


def test_list_v2_bad_continuation_token(s3: Any, listed_bucket: str) -> None:
    with refused(errors.InvalidArgument):
        s3.list_objects_v2(Bucket=listed_bucket, ContinuationToken="not-a-token")


def test_list_missing_bucket(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.list_objects_v2(Bucket=bucket_name)
    with refused(errors.NoSuchBucket):
        s3.list_objects(Bucket=bucket_name)


def test_list_etag_matches_put_and_head(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="a/b c", Body=b"hello")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"]) for o in listed] == [("a/b c", put["ETag"])]
    assert s3.head_object(Bucket=bucket, Key="a/b c")["ETag"] == put["ETag"]


def test_list_excludes_deleted_keys(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="keep", Body=b"1")
    s3.put_object(Bucket=bucket, Key="gone/", Body=b"2")
    s3.delete_object(Bucket=bucket, Key="gone/")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]
