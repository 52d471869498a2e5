"""minio-py over HTTPS: signed sha256 payloads, Content-MD5 on multi-delete and Complete."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import minio
import pytest
import urllib3
from minio.commonconfig import ComposeSource, CopySource
from minio.deleteobjects import DeleteObject

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
BUCKET = "minio-compat"
MB = 1024 * 1024


def test_minio_scenario_round_trips_every_operation(
    served: Served, big_file: BigFile, scenario: Any, tmp_path: Path
) -> None:
    http = urllib3.PoolManager(maxsize=8, cert_reqs="CERT_REQUIRED", ca_certs=str(served.ca_bundle))
    client = minio.Minio(
        f"127.0.0.1:{served.https_port}",
        access_key=served.access_key,
        secret_key=served.secret_key,
        secure=True,
        region=served.region,
        http_client=http,
    )
    steps: Scenario = scenario("minio-py", minio.__version__, "https")

    with steps.step("make_bucket"):
        client.make_bucket(BUCKET)
        assert client.bucket_exists(BUCKET)

    with steps.step("metadata + content-type"):
        body = b"hello from minio-py"
        client.put_object(BUCKET, "small.txt", io.BytesIO(body), len(body),
                          content_type="text/x-compat", metadata={"colour": "blue"})  # fmt: skip
        stat = client.stat_object(BUCKET, "small.txt")
        assert stat.content_type == "text/x-compat"
        assert stat.metadata is not None
        assert stat.metadata["x-amz-meta-colour"] == "blue"
        assert stat.etag == hashlib.md5(body).hexdigest()

    with steps.step("multipart 50 MB (10 MiB parts)"):
        client.fput_object(BUCKET, "big.bin", str(big_file.path), part_size=10 * MB)
        etag = client.stat_object(BUCKET, "big.bin").etag
        assert f'"{etag}"' == multipart_etag(big_file.path, 10 * MB)
        back = tmp_path / "big-back.bin"
        client.fget_object(BUCKET, "big.bin", str(back))
        assert sha256_of(back) == big_file.sha256

    with steps.step("range"):
        response = client.get_object(BUCKET, "big.bin", offset=40_000_000, length=5000)
        try:
            got = response.read()
        finally:
            response.close()
            response.release_conn()
        with big_file.path.open("rb") as f:
            f.seek(40_000_000)
            assert got == f.read(5000)

    with steps.step("odd keys"):
        for key in AWKWARD_KEYS:
            client.put_object(BUCKET, key, io.BytesIO(key.encode()), len(key.encode()))
            response = client.get_object(BUCKET, key)
            try:
                assert response.read() == key.encode()
            finally:
                response.close()
                response.release_conn()

    with steps.step("list prefix/delimiter (v2, v1)"):
        for v1 in (False, True):
            # minio-py yields a page's objects before its prefixes.
            top = sorted(o.object_name for o in client.list_objects(BUCKET, use_api_v1=v1))
            assert top == ["big.bin", "dir one/", "plus+sign/", "small.txt", "unicode/"]
            inside = [o.object_name for o in client.list_objects(BUCKET, prefix="plus+sign/")]
            assert inside == [AWKWARD_KEYS[1]]

    with steps.step("paging > 1000 (v2, v1)"):
        names = put_many_keys(served, BUCKET, "many/")
        for v1 in (False, True):
            listed = client.list_objects(BUCKET, prefix="many/", recursive=True, use_api_v1=v1)
            assert [o.object_name for o in listed] == names

    with steps.step("copy, compose (UploadPartCopy)"):
        client.copy_object(BUCKET, "copy.txt", CopySource(BUCKET, "small.txt"))
        copied = client.stat_object(BUCKET, "copy.txt").metadata
        assert copied is not None
        assert copied["x-amz-meta-colour"] == "blue"
        client.compose_object(
            BUCKET,
            "composed.bin",
            [ComposeSource(BUCKET, "big.bin"), ComposeSource(BUCKET, "small.txt")],
        )
        composed = tmp_path / "composed.bin"
        client.fget_object(BUCKET, "composed.bin", str(composed))
        assert composed.read_bytes() == big_file.path.read_bytes() + body

    with steps.step("presigned GET"):
        url = client.presigned_get_object(BUCKET, AWKWARD_KEYS[2], expires=timedelta(minutes=5))
        assert served.fetch(url) == AWKWARD_KEYS[2].encode()

    with steps.step("remove_object, remove_objects"):
        client.remove_object(BUCKET, "copy.txt")
        failed = list(client.remove_objects(BUCKET, [DeleteObject(n) for n in names]))
        assert failed == []
        left = [o.object_name for o in client.list_objects(BUCKET, recursive=True)]
        assert "copy.txt" not in left
        assert not any(n.startswith("many/") for n in left)
    http.clear()
