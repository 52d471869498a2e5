"""The official b2sdk, unchanged, against the emulator: b2sdk.v2 speaks /b2api/v3, b2sdk.v3
speaks /b2api/v4. Each uses its default B2HttpApiConfig, so the clock-skew hook reads our Date."""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

import b2sdk.v2
import b2sdk.v3
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.raw import sha1_hex

NAMES = ["plain.txt", "with space.txt", "plus+sign.txt", "ünïcødé/ファイル.txt", "dir/sub/deep.bin"]


@pytest.fixture(params=[b2sdk.v2, b2sdk.v3], ids=["b2sdk.v2-api-v3", "b2sdk.v3-api-v4"])
def sdk(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


@pytest.fixture
def api(sdk: ModuleType, threaded_emulator: RunningEmulator) -> Any:
    api = sdk.B2Api(sdk.InMemoryAccountInfo())
    if sdk is b2sdk.v2:
        api.authorize_account(
            threaded_emulator.url, threaded_emulator.key_id, threaded_emulator.key
        )
    else:
        api.authorize_account(
            threaded_emulator.key_id, threaded_emulator.key, realm=threaded_emulator.url
        )
    return api


@pytest.fixture
def bucket(api: Any) -> Any:
    return api.create_bucket("sdk-bucket", "allPrivate")


def _read(downloaded: Any) -> bytes:
    out = io.BytesIO()
    downloaded.save(out)
    return out.getvalue()


def test_bucket_lifecycle(api: Any) -> None:
    bucket = api.create_bucket("lifecycle-bucket", "allPrivate", bucket_info={"a": "b"})
    assert [b.name for b in api.list_buckets()] == ["lifecycle-bucket"]
    assert api.get_bucket_by_name("lifecycle-bucket").id_ == bucket.id_
    updated = bucket.update(bucket_type="allPublic")
    assert updated.type_ == "allPublic"
    api.delete_bucket(bucket)
    assert api.list_buckets() == []


def test_duplicate_bucket_raises_sdk_error(sdk: ModuleType, api: Any, bucket: Any) -> None:
    with pytest.raises(sdk.exception.DuplicateBucketName):
        api.create_bucket("sdk-bucket", "allPrivate")


@pytest.mark.parametrize("name", NAMES)
def test_upload_and_download_names(api: Any, bucket: Any, name: str) -> None:
    data = f"content of {name}".encode()
    version = bucket.upload_bytes(
        data, name, content_type="text/x-test", file_info={"color": "blue", "k": "v w"}
    )
    assert version.content_sha1 == sha1_hex(data)
    assert version.file_info == {"color": "blue", "k": "v w"}
    downloaded = bucket.download_file_by_name(name)
    assert _read(downloaded) == data
    assert downloaded.download_version.content_type == "text/x-test"
    assert downloaded.download_version.file_info == {"color": "blue", "k": "v w"}
    info = api.get_file_info(version.id_)
    assert (info.file_name, info.size) == (name, len(data))
    by_name = bucket.get_file_info_by_name(name)  # HEAD on the apiUrl
    assert by_name.id_ == version.id_


def test_ranged_download_and_download_by_id(api: Any, bucket: Any) -> None:
    data = bytes(range(256)) * 40
    version = bucket.upload_bytes(data, "ranged.bin")
    assert _read(bucket.download_file_by_name("ranged.bin", range_=(100, 1099))) == data[100:1100]
    assert _read(api.download_file_by_id(version.id_)) == data
    assert _read(api.download_file_by_id(version.id_, range_=(0, 9))) == data[:10]


def test_ls_recursive_flat_and_versions(bucket: Any) -> None:
    for name in ["a/1.txt", "a/2.txt", "b.txt", "c/d/e.txt"]:
        bucket.upload_bytes(b"x", name)
    bucket.upload_bytes(b"y", "b.txt")
    recursive = [v.file_name for v, _ in bucket.ls(recursive=True)]
    assert recursive == ["a/1.txt", "a/2.txt", "b.txt", "c/d/e.txt"]
    top = [(v.file_name, folder) for v, folder in bucket.ls()]
    assert top == [("a/1.txt", "a/"), ("b.txt", None), ("c/d/e.txt", "c/")]
    versions = [v.file_name for v, _ in bucket.ls(recursive=True, latest_only=False)]
    assert versions == ["a/1.txt", "a/2.txt", "b.txt", "b.txt", "c/d/e.txt"]


def test_hide_unhide_and_delete_version(sdk: ModuleType, api: Any, bucket: Any) -> None:
    first = bucket.upload_bytes(b"1", "h.txt")
    second = bucket.upload_bytes(b"2", "h.txt")
    bucket.hide_file("h.txt")
    assert list(bucket.ls(recursive=True)) == []
    with pytest.raises(sdk.exception.FileNotPresent):
        bucket.get_file_info_by_name("h.txt")
    bucket.unhide_file("h.txt")
    assert _read(bucket.download_file_by_name("h.txt")) == b"2"
    api.delete_file_version(second.id_, "h.txt")
    assert _read(bucket.download_file_by_name("h.txt")) == b"1"
    api.delete_file_version(first.id_, "h.txt")
    assert list(bucket.ls(recursive=True, latest_only=False)) == []


def test_upload_stream_of_unknown_size_uses_hex_digits_at_end(bucket: Any) -> None:
    data = b"streamed" * 1000
    version = bucket.upload_unbound_stream(io.BytesIO(data), "stream.bin")
    assert version.content_sha1 == sha1_hex(data)
    assert _read(bucket.download_file_by_name("stream.bin")) == data
