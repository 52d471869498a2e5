"""Every B2Client call once, against the emulator: shapes, encoding, typed results."""

from __future__ import annotations

import gzip
import hashlib

import aiohttp
import pytest

from gateway.b2.client import B2Client
from gateway.b2.errors import FileAlreadyHiddenError, NotFoundError, UnauthorizedError
from gateway.b2.models import Bucket, ByteRange, ContentRange, FileQuery
from gateway.emulator.server import RunningEmulator
from tests.b2.conftest import CallLog, skip_unless_emulated

ODD_NAME = "dir/a+b c%20ü?#.txt"


async def test_open_with_bad_key_fails_once_and_finally(emulator: RunningEmulator) -> None:
    client = B2Client(emulator.url, emulator.key_id, "wrong-key")
    with pytest.raises(UnauthorizedError):
        await client.open()
    await client.close()


async def test_bucket_lifecycle_and_name_cache(b2: B2Client) -> None:
    created = await b2.create_bucket("lifecycle-bkt", bucket_info={"k": "v"})
    assert created.bucket_info == {"k": "v"}
    assert await b2.get_bucket("lifecycle-bkt") == created
    assert created in await b2.list_buckets()
    updated = await b2.update_bucket(created.bucket_id, bucket_type="allPublic")
    assert updated.bucket_type == "allPublic"
    await b2.delete_bucket(created.bucket_id)
    assert await b2.get_bucket("lifecycle-bkt") is None


async def test_upload_and_download_by_name_and_id(b2: B2Client, bucket: Bucket) -> None:
    data = bytes(range(256)) * 100
    version = await b2.upload_file(
        bucket.bucket_id,
        ODD_NAME,
        data,
        content_type="application/x-test",
        file_info={"author": "Jürgen & co"},
    )
    assert version.content_sha1 == hashlib.sha1(data).hexdigest()
    assert version.content_length == len(data)
    assert version.file_name == ODD_NAME

    async with b2.download_by_name(bucket.bucket_name, ODD_NAME) as download:
        assert download.info.file_id == version.file_id
        assert download.info.file_name == ODD_NAME
        assert download.info.file_info == {"author": "Jürgen & co"}
        assert download.info.content_type == "application/x-test"
        assert download.info.content_sha1 == version.content_sha1
        assert await download.read() == data

    assert version.file_id is not None
    async with b2.download_by_id(version.file_id, byte_range=ByteRange(10, 19)) as part:
        assert part.info.status == 206
        assert part.info.content_range == ContentRange(10, 19, len(data))
        assert await part.read() == data[10:20]

    head = await b2.head_by_name(bucket.bucket_name, ODD_NAME)
    assert head.content_length == len(data)
    assert (await b2.head_by_id(version.file_id)).file_id == version.file_id
    assert (await b2.get_file_info(version.file_id)).file_info == {"author": "Jürgen & co"}


async def test_listing_hiding_and_deleting_versions(b2: B2Client, bucket: Bucket) -> None:
    first = await b2.upload_file(bucket.bucket_id, "a/one", b"1")
    await b2.upload_file(bucket.bucket_id, "a/one", b"11")
    await b2.upload_file(bucket.bucket_id, "b/two", b"2")

    names = await b2.list_file_names(bucket.bucket_id, FileQuery(delimiter="/"))
    assert [(f.file_name, f.action) for f in names.files] == [("a/", "folder"), ("b/", "folder")]
    page = await b2.list_file_names(bucket.bucket_id, FileQuery(prefix="a/", max_file_count=10))
    assert [f.content_length for f in page.files] == [2]

    hidden = await b2.hide_file(bucket.bucket_id, "b/two")
    assert hidden.action == "hide"
    with pytest.raises(FileAlreadyHiddenError):
        await b2.hide_file(bucket.bucket_id, "b/two")
    with pytest.raises(NotFoundError):
        await b2.head_by_name(bucket.bucket_name, "b/two")

    versions = await b2.list_file_versions(bucket.bucket_id)
    assert [(f.file_name, f.action) for f in versions.files] == [
        ("a/one", "upload"),
        ("a/one", "upload"),
        ("b/two", "hide"),
        ("b/two", "upload"),
    ]
    deleted = await b2.delete_file_version("a/one", first.require_id())
    assert deleted.file_id == first.file_id
    assert len((await b2.list_file_versions(bucket.bucket_id, FileQuery(prefix="a/"))).files) == 1


async def test_copy_file_copy_metadata_and_replace(
    b2: B2Client, bucket: Bucket, emulator: RunningEmulator
) -> None:
    await skip_unless_emulated(emulator, "b2_copy_file")
    source = await b2.upload_file(
        bucket.bucket_id, "src", b"0123456789", content_type="text/plain", file_info={"x": "1"}
    )
    copied = await b2.copy_file(source.require_id(), "dst", byte_range=ByteRange(2, 5))
    assert copied.content_length == 4
    assert copied.file_info == {"x": "1"}
    replaced = await b2.copy_file(
        source.require_id(), "dst2", content_type="application/json", file_info={"y": "2"}
    )
    assert (replaced.content_type, replaced.file_info) == ("application/json", {"y": "2"})
    async with b2.download_by_name(bucket.bucket_name, "dst") as download:
        assert await download.read() == b"2345"


async def test_download_authorization_token_reads_prefix(
    b2: B2Client, bucket: Bucket, emulator: RunningEmulator
) -> None:
    await skip_unless_emulated(emulator, "b2_get_download_authorization")
    await b2.upload_file(bucket.bucket_id, "shared/file", b"shared")
    grant = await b2.get_download_authorization(bucket.bucket_id, "shared/", 60)
    account = await b2.account()
    async with b2.raw.download_file_by_name(
        account.download_url,
        grant.authorization_token,
        bucket_name=bucket.bucket_name,
        file_name="shared/file",
    ) as download:
        assert await download.read() == b"shared"


async def test_on_call_hook_sees_every_http_call(
    b2: B2Client, bucket: Bucket, call_log: CallLog
) -> None:
    await b2.upload_file(bucket.bucket_id, "x", b"x")
    with pytest.raises(NotFoundError):
        await b2.head_by_name(bucket.bucket_name, "missing")
    assert call_log.calls[0] == ("b2_authorize_account", 200)
    assert ("b2_create_bucket", 200) in call_log.calls
    assert ("b2_get_upload_url", 200) in call_log.calls
    assert ("b2_upload_file", 200) in call_log.calls
    assert call_log.calls[-1] == ("b2_download_file_by_name", 404)


async def test_large_file_parts_finish_and_cancel(
    b2: B2Client, bucket: Bucket, emulator: RunningEmulator
) -> None:
    await skip_unless_emulated(
        emulator, "b2_start_large_file", "b2_get_upload_part_url", "b2_finish_large_file"
    )
    minimum = (await b2.account()).absolute_minimum_part_size
    parts_data = [b"a" * minimum, b"tail"]
    started = await b2.start_large_file(bucket.bucket_id, "big", content_type="text/plain")
    file_id = started.require_id()
    assert started.action == "start"
    await b2.prewarm_part_urls(file_id, 2)
    parts = [
        await b2.upload_part(file_id, number, data)
        for number, data in enumerate(parts_data, start=1)
    ]
    assert [p.content_sha1 for p in parts] == [hashlib.sha1(d).hexdigest() for d in parts_data]
    listed = await b2.list_parts(file_id)
    assert [p.part_number for p in listed.parts] == [1, 2]
    unfinished = await b2.list_unfinished_large_files(bucket.bucket_id)
    assert [f.file_id for f in unfinished.files] == [file_id]
    finished = await b2.finish_large_file(file_id, tuple(p.content_sha1 for p in parts))
    assert finished.content_length == sum(len(d) for d in parts_data)
    async with b2.download_by_id(file_id, byte_range=ByteRange(minimum - 1)) as download:
        assert await download.read() == b"atail"

    doomed = await b2.start_large_file(bucket.bucket_id, "doomed")
    cancelled = await b2.cancel_large_file(doomed.require_id())
    assert cancelled.file_name == "doomed"
    assert (await b2.list_unfinished_large_files(bucket.bucket_id)).files == ()


async def test_copy_part_assembles_large_file(
    b2: B2Client, bucket: Bucket, emulator: RunningEmulator
) -> None:
    await skip_unless_emulated(emulator, "b2_start_large_file", "b2_copy_part")
    minimum = (await b2.account()).absolute_minimum_part_size
    source = await b2.upload_file(bucket.bucket_id, "src", b"z" * minimum + b"end")
    started = await b2.start_large_file(bucket.bucket_id, "assembled")
    file_id = started.require_id()
    first = await b2.copy_part(
        source.require_id(), file_id, 1, byte_range=ByteRange(0, minimum - 1)
    )
    second = await b2.copy_part(source.require_id(), file_id, 2, byte_range=ByteRange(minimum))
    finished = await b2.finish_large_file(file_id, (first.content_sha1, second.content_sha1))
    assert finished.content_length == minimum + 3


async def test_gzip_encoded_file_downloads_byte_for_byte(b2: B2Client, bucket: Bucket) -> None:
    compressed = gzip.compress(b"hello " * 1000)
    await b2.upload_file(
        bucket.bucket_id, "page.html", compressed, file_info={"b2-content-encoding": "gzip"}
    )
    async with b2.download_by_name(bucket.bucket_name, "page.html") as download:
        assert download.info.content_encoding == "gzip"
        assert await download.read() == compressed  # never inflated on the way


async def test_client_refuses_a_decompressing_session(emulator: RunningEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="auto_decompress"):
            B2Client(emulator.url, emulator.key_id, emulator.key, session=session)


async def test_client_leaves_a_given_session_open(emulator: RunningEmulator) -> None:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with B2Client(emulator.url, emulator.key_id, emulator.key, session=session) as b2:
            await b2.list_buckets()
        assert not session.closed
