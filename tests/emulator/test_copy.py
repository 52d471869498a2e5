"""Server-side copy: b2_copy_file and b2_copy_part, through b2sdk and raw."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import b2sdk.v2
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.large import MIN_PART, PART_SETTINGS, Large
from tests.emulator.raw import B2Raw, sha1_hex

DATA = b"Some text\n"


def test_b2sdk_copy_small_and_large(
    threaded_emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emulator = threaded_emulator_factory(**PART_SETTINGS)
    api = b2sdk.v2.B2Api(b2sdk.v2.InMemoryAccountInfo())
    api.authorize_account(emulator.url, emulator.key_id, emulator.key)
    bucket = api.create_bucket("copy-bucket", "allPrivate")
    other = api.create_bucket("copy-other", "allPrivate")
    small = bucket.upload_bytes(DATA, "small.txt", file_info={"k": "v"})
    copied = bucket.copy(small.id_, "copy.txt")
    assert (copied.file_name, copied.file_info) == ("copy.txt", {"k": "v"})
    replaced = other.copy(
        small.id_, "other.txt", content_type="text/x-new", file_info={"n": "1"}, offset=5, length=4
    )
    out = io.BytesIO()
    other.download_file_by_name("other.txt").save(out)
    assert out.getvalue() == b"text"
    assert replaced.content_sha1 == sha1_hex(b"text")
    big_data = bytes(range(256)) * 300
    big = bucket.upload_bytes(big_data, "big.bin")
    bucket.copy(  # a known length sends b2sdk through the large-file planner: copy_part
        big.id_,
        "big-copy.bin",
        length=len(big_data),
        max_part_size=3 * MIN_PART,
        min_part_size=MIN_PART,
    )
    out = io.BytesIO()
    bucket.download_file_by_name("big-copy.bin").save(out)
    assert out.getvalue() == big_data
    assert emulator.state.faults.counters["b2_copy_part"] >= 2


@pytest.fixture
async def setup(b2: B2Raw, bucket: Any) -> tuple[B2Raw, Any, Any]:
    source = await b2.uploaded(
        bucket["bucketId"],
        "test-file.txt",
        DATA,
        headers={"X-Bz-Info-src_last_modified_millis": "1637248673875"},
    )
    return b2, bucket, source


async def test_copy_file_like_recording(setup: tuple[B2Raw, Any, Any]) -> None:
    b2, bucket, source = setup
    copied = await b2.ok(
        "b2_copy_file",
        {"fileName": "new-file.txt", "metadataDirective": "COPY", "sourceFileId": source["fileId"]},
    )
    assert copied["action"] == "copy"
    assert (copied["contentSha1"], copied["contentMd5"]) == (
        source["contentSha1"],
        source["contentMd5"],
    )
    assert copied["fileInfo"] == {"src_last_modified_millis": "1637248673875"}
    assert copied["fileId"] != source["fileId"]
    listed = await b2.ok("b2_list_file_names", {"bucketId": bucket["bucketId"]})
    assert [f["action"] for f in listed["files"]] == ["upload", "upload"]


async def test_copy_file_range_and_other_bucket(setup: tuple[B2Raw, Any, Any]) -> None:
    b2, _, source = setup
    other = await b2.create_bucket()
    copied = await b2.ok(
        "b2_copy_file",
        {
            "sourceFileId": source["fileId"],
            "fileName": "slice",
            "range": "bytes=5-8",
            "destinationBucketId": other["bucketId"],
        },
    )
    assert (copied["contentLength"], copied["contentSha1"]) == (4, sha1_hex(b"text"))
    assert copied["bucketId"] == other["bucketId"]
    assert (await b2.download_by_name(other["bucketName"], "slice")).body == b"text"


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"metadataDirective": "COPY", "contentType": "text/x"}, 400, "bad_request"),
        ({"metadataDirective": "REPLACE"}, 400, "bad_request"),
        ({"metadataDirective": "MOVE"}, 400, "bad_request"),
        ({"range": "bytes=50-60"}, 416, "range_not_satisfiable"),
        ({"fileName": "/bad"}, 400, "bad_request"),
    ],
)
async def test_copy_file_errors(
    setup: tuple[B2Raw, Any, Any], extra: dict[str, Any], status: int, code: str
) -> None:
    b2, _, source = setup
    reply = await b2.call(
        "b2_copy_file", {"sourceFileId": source["fileId"], "fileName": "c", **extra}
    )
    assert (reply.status, reply.code) == (status, code)


async def test_copy_file_missing_source(b2: B2Raw) -> None:
    reply = await b2.call("b2_copy_file", {"sourceFileId": "4_znothing", "fileName": "c"})
    assert (reply.status, reply.code) == (404, "not_found")


async def test_copy_file_replace_metadata(setup: tuple[B2Raw, Any, Any]) -> None:
    b2, _, source = setup
    copied = await b2.ok(
        "b2_copy_file",
        {
            "sourceFileId": source["fileId"],
            "fileName": "r",
            "metadataDirective": "REPLACE",
            "contentType": "application/x-new",
            "fileInfo": {"a": "b"},
        },
    )
    assert (copied["contentType"], copied["fileInfo"]) == ("application/x-new", {"a": "b"})


async def test_copy_part_like_recording(emulator_factory: Any, http: Any) -> None:
    b2 = B2Raw(http, await emulator_factory(absolute_minimum_part_size=5))
    await b2.authorize()
    large = Large(b2, await b2.create_bucket())
    source = await b2.uploaded(large.bucket["bucketId"], "src", DATA)
    started = await large.start("Test-large-file2.txt")
    whole = await b2.ok(
        "b2_copy_part",
        {"largeFileId": started["fileId"], "partNumber": 1, "sourceFileId": source["fileId"]},
    )
    assert (whole["contentLength"], whole["contentSha1"]) == (10, sha1_hex(DATA))
    ranged = await b2.ok(
        "b2_copy_part",
        {
            "largeFileId": started["fileId"],
            "partNumber": 2,
            "range": "bytes=0-3",
            "sourceFileId": source["fileId"],
        },
    )
    assert (ranged["contentLength"], ranged["contentSha1"]) == (4, sha1_hex(b"Some"))
    assert (await large.finish(started["fileId"], [DATA, b"Some"])).status == 200
    body = await b2.download_by_name(large.bucket["bucketName"], "Test-large-file2.txt")
    assert body.body == DATA + b"Some"


async def test_copy_part_needs_finished_source(large: Large) -> None:
    unfinished = await large.start("source")
    target = await large.start("target")
    reply = await large.b2.call(
        "b2_copy_part",
        {"largeFileId": target["fileId"], "partNumber": 1, "sourceFileId": unfinished["fileId"]},
    )
    assert (reply.status, reply.code) == (404, "not_found")


async def test_copy_part_shares_bytes_that_outlive_their_source(
    emulator_factory: Any, http: Any
) -> None:
    """A copied part shares the source's stored bytes: deleting the source, cancelling another
    large file made from it, or replacing the part must leave every remaining file whole."""
    b2 = B2Raw(http, await emulator_factory(absolute_minimum_part_size=5))
    await b2.authorize()
    large = Large(b2, await b2.create_bucket())
    bucket_id, bucket_name = large.bucket["bucketId"], large.bucket["bucketName"]
    first = await b2.uploaded(bucket_id, "first", DATA)
    second = await b2.uploaded(bucket_id, "second", b"other bytes")

    def copy(target: Any, number: int, source: Any) -> dict[str, Any]:
        return {"largeFileId": target["fileId"], "partNumber": number, "sourceFileId": source}

    cancelled = await large.start("cancelled")
    await b2.ok("b2_copy_part", copy(cancelled, 1, first["fileId"]))
    await b2.ok("b2_cancel_large_file", {"fileId": cancelled["fileId"]})
    kept = await large.start("kept")
    await b2.ok("b2_copy_part", copy(kept, 1, second["fileId"]))
    await b2.ok("b2_copy_part", copy(kept, 1, first["fileId"]))  # replaces: second stays whole
    await b2.ok("b2_copy_part", copy(kept, 2, second["fileId"]))
    await b2.ok("b2_delete_file_version", {"fileName": "first", "fileId": first["fileId"]})

    assert (await large.finish(kept["fileId"], [DATA, b"other bytes"])).status == 200
    assert (await b2.download_by_name(bucket_name, "kept")).body == DATA + b"other bytes"
    assert (await b2.download_by_name(bucket_name, "second")).body == b"other bytes"


async def test_copy_part_across_parts_of_a_large_source(large: Large) -> None:
    """A range spanning two parts of a large file is copied byte for byte with its own digests."""
    parts = [b"a" * 10_000, b"b" * 10_000]
    source = await large.start("source")
    url = await large.part_url(source["fileId"])
    for number, data in enumerate(parts, 1):
        assert (await large.part(url, number, data)).status == 200
    assert (await large.finish(source["fileId"], parts)).status == 200
    target = await large.start("target")
    copied = await large.b2.ok(
        "b2_copy_part",
        {
            "largeFileId": target["fileId"],
            "partNumber": 1,
            "range": "bytes=9990-10009",
            "sourceFileId": source["fileId"],
        },
    )
    assert copied["contentSha1"] == sha1_hex(b"a" * 10 + b"b" * 10)
    within = await large.b2.ok(
        "b2_copy_part",
        {
            "largeFileId": target["fileId"],
            "partNumber": 2,
            "range": "bytes=10000-10009",
            "sourceFileId": source["fileId"],
        },
    )
    assert within["contentSha1"] == sha1_hex(b"b" * 10)
