"""s3fs / fsspec (aiobotocore) over HTTPS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import s3fs  # type: ignore[import-untyped]

from tests.compat.conftest import (
    AWKWARD_KEYS,
    BigFile,
    Scenario,
    Served,
    multipart_etag,
    put_many_keys,
    sha256_of,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]
BUCKET = "s3fs-compat"
MB = 1024 * 1024


@pytest.fixture
def fs(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[s3fs.S3FileSystem]:
    # The region goes through the environment: with region_name in client_kwargs s3fs sends a
    # LocationConstraint even for us-east-1, which S3 itself refuses.
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", served.region)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    filesystem = s3fs.S3FileSystem(
        key=served.access_key,
        secret=served.secret_key,
        endpoint_url=served.https_url,
        client_kwargs={"verify": str(served.ca_bundle)},
        skip_instance_cache=True,
        use_listings_cache=False,
    )
    yield filesystem
    filesystem.clear_instance_cache()


def test_s3fs_scenario_round_trips_every_operation(
    served: Served, fs: s3fs.S3FileSystem, big_file: BigFile, scenario: Any, tmp_path: Path
) -> None:
    steps: Scenario = scenario("s3fs", s3fs.__version__, "https")

    with steps.step("mkdir (bucket)"):
        fs.mkdir(BUCKET)
        assert BUCKET in fs.ls("", detail=False)

    with steps.step("metadata + content-type"):
        fs.pipe_file(f"{BUCKET}/small.txt", b"hello from s3fs", ContentType="text/x-compat",
                     Metadata={"colour": "blue"})  # fmt: skip
        assert fs.info(f"{BUCKET}/small.txt")["ContentType"] == "text/x-compat"
        assert fs.metadata(f"{BUCKET}/small.txt") == {"colour": "blue"}

    with steps.step("multipart 50 MB (put_file, 8 MB chunks; open('wb'))"):
        fs.put_file(str(big_file.path), f"{BUCKET}/big.bin", chunksize=8 * MB)
        assert served.etag(BUCKET, "big.bin") == multipart_etag(big_file.path, 8 * MB)
        with fs.open(f"{BUCKET}/written.bin", "wb", block_size=5 * MB) as out, \
                big_file.path.open("rb") as source:  # fmt: skip
            while chunk := source.read(3 * MB):
                out.write(chunk)
        parts = int(served.etag(BUCKET, "written.bin").strip('"').rsplit("-", 1)[1])
        assert parts > 1  # flushed in 6 MB parts as the 3 MB writes pile up
        back = tmp_path / "back.bin"
        fs.get_file(f"{BUCKET}/written.bin", str(back))
        assert sha256_of(back) == big_file.sha256

    with steps.step("range (cat_file, seek + read)"):
        with big_file.path.open("rb") as f:
            f.seek(7_000_000)
            expected = f.read(2048)
        assert fs.cat_file(f"{BUCKET}/big.bin", start=7_000_000, end=7_002_048) == expected
        with fs.open(f"{BUCKET}/big.bin", "rb", block_size=MB) as remote:
            remote.seek(7_000_000)
            assert remote.read(2048) == expected

    with steps.step("odd keys"):
        for key in AWKWARD_KEYS:
            fs.pipe_file(f"{BUCKET}/{key}", key.encode())
            assert fs.cat_file(f"{BUCKET}/{key}") == key.encode()

    with steps.step("ls prefix/delimiter"):
        assert fs.ls(BUCKET, detail=False) == [
            f"{BUCKET}/{name}"
            for name in ("big.bin", "dir one", "plus+sign", "small.txt", "unicode", "written.bin")
        ]
        assert fs.ls(f"{BUCKET}/plus+sign", detail=False) == [f"{BUCKET}/{AWKWARD_KEYS[1]}"]

    with steps.step("paging > 1000 (ls, find)"):
        names = put_many_keys(served, BUCKET, "many/")
        assert fs.ls(f"{BUCKET}/many", detail=False) == [f"{BUCKET}/{n}" for n in names]
        assert fs.find(f"{BUCKET}/many") == [f"{BUCKET}/{n}" for n in names]

    with steps.step("copy"):
        fs.copy(f"{BUCKET}/small.txt", f"{BUCKET}/copy.txt")
        assert fs.cat_file(f"{BUCKET}/copy.txt") == b"hello from s3fs"
        assert fs.metadata(f"{BUCKET}/copy.txt") == {"colour": "blue"}

    with steps.step("presigned GET (fs.url, SigV2 as botocore's default)"):
        url = fs.url(f"{BUCKET}/{AWKWARD_KEYS[0]}", expires=300)
        assert "Signature=" in url
        assert served.fetch(url) == AWKWARD_KEYS[0].encode()

    with steps.step("rm_file, rm (bulk delete)"):
        fs.rm_file(f"{BUCKET}/copy.txt")
        fs.rm([f"{BUCKET}/{n}" for n in names])
        left = fs.find(BUCKET)
        assert f"{BUCKET}/copy.txt" not in left
        assert not any(path.startswith(f"{BUCKET}/many/") for path in left)
