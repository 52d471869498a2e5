"""Listing, file info, hiding and deleting versions: B2's versioning semantics."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.raw import B2Raw


async def _names(b2: B2Raw, bucket_id: str, **params: Any) -> list[tuple[str, str]]:
    body = await b2.ok("b2_list_file_names", {"bucketId": bucket_id, **params})
    return [(f["fileName"], f["action"]) for f in body["files"]]


async def test_list_file_names_hides_hidden_and_keeps_newest(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    await b2.uploaded(bid, "a.txt", b"old")
    newest = await b2.uploaded(bid, "a.txt", b"new")
    await b2.uploaded(bid, "b.txt")
    await b2.ok("b2_hide_file", {"bucketId": bid, "fileName": "b.txt"})
    body = await b2.ok("b2_list_file_names", {"bucketId": bid})
    assert [(f["fileName"], f["fileId"]) for f in body["files"]] == [("a.txt", newest["fileId"])]
    assert body["nextFileName"] is None


async def test_list_file_versions_newest_first_with_hide_markers(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    first = await b2.uploaded(bid, "a.txt", b"1")
    second = await b2.uploaded(bid, "a.txt", b"2")
    hide = await b2.ok("b2_hide_file", {"bucketId": bid, "fileName": "a.txt"})
    body = await b2.ok("b2_list_file_versions", {"bucketId": bid})
    assert [f["fileId"] for f in body["files"]] == [
        hide["fileId"],
        second["fileId"],
        first["fileId"],
    ]
    assert (body["nextFileName"], body["nextFileId"]) == (None, None)


async def test_hide_object_shape(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "h.txt")
    hide = await b2.ok("b2_hide_file", {"bucketId": bucket["bucketId"], "fileName": "h.txt"})
    assert hide["action"] == "hide"
    assert hide["contentType"] == "application/x-bz-hide-marker"
    assert hide["contentLength"] == 0
    assert hide["contentSha1"] == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert "fileRetention" not in hide
    assert "legalHold" not in hide
    assert hide["bucketId"] == bucket["bucketId"]


async def test_hide_v1_has_no_bucket_id(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "h.txt")
    await b2.authorize(1)
    hide = await b2.ok(
        "b2_hide_file", {"bucketId": bucket["bucketId"], "fileName": "h.txt"}, version=1
    )
    assert "bucketId" not in hide
    assert hide["size"] == 0


async def test_hide_errors(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    missing = await b2.call("b2_hide_file", {"bucketId": bid, "fileName": "nothing"})
    assert (missing.status, missing.code) == (400, "no_such_file")
    await b2.uploaded(bid, "x")
    await b2.ok("b2_hide_file", {"bucketId": bid, "fileName": "x"})
    again = await b2.call("b2_hide_file", {"bucketId": bid, "fileName": "x"})
    assert (again.status, again.code) == (400, "already_hidden")
    no_bucket = await b2.call("b2_hide_file", {"bucketId": "a" * 24, "fileName": "x"})
    assert (no_bucket.status, no_bucket.code) == (400, "bad_bucket_id")


async def test_upload_after_hide_unhides(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    await b2.uploaded(bid, "x", b"1")
    await b2.ok("b2_hide_file", {"bucketId": bid, "fileName": "x"})
    await b2.uploaded(bid, "x", b"2")
    assert await _names(b2, bid) == [("x", "upload")]
    assert (await b2.download_by_name(bucket["bucketName"], "x")).body == b"2"


async def test_delete_newest_version_promotes_previous(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    await b2.uploaded(bid, "x", b"old")
    newest = await b2.uploaded(bid, "x", b"new")
    deleted = await b2.ok("b2_delete_file_version", {"fileId": newest["fileId"], "fileName": "x"})
    assert deleted == {"fileId": newest["fileId"], "fileName": "x"}
    assert (await b2.download_by_name(bucket["bucketName"], "x")).body == b"old"


async def test_delete_hide_marker_unhides(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    await b2.uploaded(bid, "x", b"data")
    hide = await b2.ok("b2_hide_file", {"bucketId": bid, "fileName": "x"})
    await b2.ok("b2_delete_file_version", {"fileId": hide["fileId"], "fileName": "x"})
    assert await _names(b2, bid) == [("x", "upload")]


async def test_delete_file_version_errors(b2: B2Raw, bucket: Any) -> None:
    file = await b2.uploaded(bucket["bucketId"], "x")
    wrong_name = await b2.call(
        "b2_delete_file_version", {"fileId": file["fileId"], "fileName": "y"}
    )
    assert (wrong_name.status, wrong_name.code) == (400, "file_not_present")
    await b2.ok("b2_delete_file_version", {"fileId": file["fileId"], "fileName": "x"})
    twice = await b2.call("b2_delete_file_version", {"fileId": file["fileId"], "fileName": "x"})
    assert (twice.status, twice.code) == (400, "file_not_present")


async def test_get_file_info(b2: B2Raw, bucket: Any) -> None:
    file = await b2.uploaded(bucket["bucketId"], "x", headers={"X-Bz-Info-a": "b"})
    info = await b2.ok("b2_get_file_info", {"fileId": file["fileId"]})
    assert info == file
    by_get = await b2.ok("b2_get_file_info", {"fileId": file["fileId"]}, method="GET")
    assert by_get == file
    missing = await b2.call("b2_get_file_info", {"fileId": "4_znothing"})
    assert (missing.status, missing.code) == (404, "not_found")


async def test_list_file_names_prefix_delimiter_folders(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    for name in ["photos/a.jpg", "photos/cats/1.jpg", "photos/cats/2.jpg", "photos/dogs/1.jpg",
                 "photos/z.jpg", "top.txt"]:  # fmt: skip
        await b2.uploaded(bid, name)
    assert await _names(b2, bid, prefix="photos/", delimiter="/") == [
        ("photos/a.jpg", "upload"),
        ("photos/cats/", "folder"),
        ("photos/dogs/", "folder"),
        ("photos/z.jpg", "upload"),
    ]
    assert await _names(b2, bid, delimiter="/") == [("photos/", "folder"), ("top.txt", "upload")]
    assert await _names(b2, bid, prefix="photos/c") == [
        ("photos/cats/1.jpg", "upload"),
        ("photos/cats/2.jpg", "upload"),
    ]
    folder = (
        await b2.ok("b2_list_file_names", {"bucketId": bid, "prefix": "photos/", "delimiter": "/"})
    )["files"][1]
    assert folder["fileId"] is None
    assert folder["contentSha1"] is None
    assert folder["uploadTimestamp"] == 0


async def test_list_file_names_paging_through_folders(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    for name in ["a/1", "a/2", "b", "c/1", "d"]:
        await b2.uploaded(bid, name)
    seen: list[str] = []
    start = None
    while True:
        body = await b2.ok(
            "b2_list_file_names",
            {"bucketId": bid, "delimiter": "/", "maxFileCount": 1, "startFileName": start},
        )
        seen += [f["fileName"] for f in body["files"]]
        start = body["nextFileName"]
        if start is None:
            break
    assert seen == ["a/", "b", "c/", "d"]


async def test_list_file_names_start_is_inclusive(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    for name in ["a", "b", "c"]:
        await b2.uploaded(bid, name)
    assert await _names(b2, bid, startFileName="b") == [("b", "upload"), ("c", "upload")]
    body = await b2.ok("b2_list_file_names", {"bucketId": bid, "maxFileCount": 2})
    assert body["nextFileName"] == "c"


async def test_list_file_versions_paging_by_name_and_id(b2: B2Raw, bucket: Any) -> None:
    bid = bucket["bucketId"]
    ids = [(await b2.uploaded(bid, "same", bytes([i])))["fileId"] for i in range(5)]
    await b2.uploaded(bid, "zz")
    collected: list[str] = []
    params: dict[str, Any] = {"bucketId": bid, "maxFileCount": 2}
    while True:
        body = await b2.ok("b2_list_file_versions", params)
        collected += [f["fileId"] for f in body["files"]]
        if body["nextFileName"] is None:
            break
        params |= {"startFileName": body["nextFileName"], "startFileId": body["nextFileId"]}
    assert collected[:5] == list(reversed(ids))
    assert len(collected) == 6


async def test_list_file_versions_start_id_needs_start_name(b2: B2Raw, bucket: Any) -> None:
    file = await b2.uploaded(bucket["bucketId"], "x")
    reply = await b2.call(
        "b2_list_file_versions", {"bucketId": bucket["bucketId"], "startFileId": file["fileId"]}
    )
    assert (reply.status, reply.code) == (400, "bad_request")
    bad_id = await b2.call(
        "b2_list_file_versions",
        {"bucketId": bucket["bucketId"], "startFileName": "x", "startFileId": "garbage"},
    )
    assert (bad_id.status, bad_id.code) == (400, "invalid_file_id")


@pytest.mark.parametrize("count", [-1, 10_001])
async def test_list_max_file_count_out_of_range(b2: B2Raw, bucket: Any, count: int) -> None:
    reply = await b2.call(
        "b2_list_file_names", {"bucketId": bucket["bucketId"], "maxFileCount": count}
    )
    assert (reply.status, reply.code) == (400, "out_of_range")


async def test_list_max_file_count_zero_means_default(b2: B2Raw, bucket: Any) -> None:
    for i in range(101):
        await b2.uploaded(bucket["bucketId"], f"f{i:03d}")
    body = await b2.ok("b2_list_file_names", {"bucketId": bucket["bucketId"], "maxFileCount": 0})
    assert len(body["files"]) == 100
    assert body["nextFileName"] == "f100"
    by_get = await b2.ok(
        "b2_list_file_names",
        {"bucketId": bucket["bucketId"], "maxFileCount": 10000},
        method="GET",
    )
    assert len(by_get["files"]) == 101


async def test_list_unknown_bucket(b2: B2Raw) -> None:
    reply = await b2.call("b2_list_file_names", {"bucketId": "0" * 24})
    assert (reply.status, reply.code) == (400, "invalid_bucket_id")


async def test_v1_listings_and_file_info_say_size_and_content_length(
    b2: B2Raw, bucket: Any
) -> None:
    await b2.uploaded(bucket["bucketId"], "dir/one", b"12345")
    await b2.authorize(1)
    for call in ("b2_list_file_names", "b2_list_file_versions"):
        body = await b2.ok(call, {"bucketId": bucket["bucketId"], "delimiter": "/"}, version=1)
        folder = body["files"][0]
        assert (folder["action"], folder["size"], folder["contentLength"]) == ("folder", 0, 0)
    body = await b2.ok("b2_list_file_names", {"bucketId": bucket["bucketId"]}, version=1)
    info = await b2.ok("b2_get_file_info", {"fileId": body["files"][0]["fileId"]}, version=1)
    assert (info["size"], info["contentLength"]) == (5, 5)
