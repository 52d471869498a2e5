"""boto3: default checksums over HTTPS, ``when_required`` over HTTP, virtual-host addressing."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import botocore
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from tests.compat.conftest import (
    AWKWARD_KEYS,
    VHOST_DOMAIN,
    BigFile,
    Scenario,
    Served,
    multipart_etag,
    put_many_keys,
    sha256_of,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]

MB = 1024 * 1024
_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def localhost_subdomains(monkeypatch: pytest.MonkeyPatch) -> None:
    """``<bucket>.s3.localhost`` does not resolve on this machine: send it to 127.0.0.1."""

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(VHOST_DOMAIN):
            host = "127.0.0.1"
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


FLAVOURS = [
    pytest.param(("https", "when_supported", "path"), id="https-default-checksums-path"),
    pytest.param(("http", "when_required", "path"), id="http-when_required-path"),
    pytest.param(("http", "when_supported", "virtual"), id="http-default-checksums-virtual"),
]


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    value: tuple[str, str, str] = request.param
    if value[2] == "virtual":
        request.getfixturevalue("localhost_subdomains")
    return value


@pytest.fixture
def client(served: Served, flavour: tuple[str, str, str]) -> Iterator[Any]:
    scheme, checksums, addressing = flavour
    if addressing == "virtual":
        endpoint = f"http://{VHOST_DOMAIN}:{served.http_port}"
    else:
        endpoint = served.https_url if scheme == "https" else served.http_url
    made = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=served.access_key,
        aws_secret_access_key=served.secret_key,
        region_name=served.region,
        verify=str(served.ca_bundle) if scheme == "https" else None,
        config=Config(
            s3={"addressing_style": addressing},
            request_checksum_calculation=checksums,
            response_checksum_validation=checksums,
            max_pool_connections=16,
        ),
    )
    yield made
    made.close()


def test_boto3_scenario_round_trips_every_operation(
    served: Served,
    client: Any,
    flavour: tuple[str, str, str],
    big_file: BigFile,
    scenario: Any,
    tmp_path: Any,
) -> None:
    scheme, checksums, addressing = flavour
    run: Scenario = scenario(
        "boto3", botocore.__version__, f"{scheme}, {addressing}-style, checksums {checksums}"
    )
    bucket = f"boto3-{scheme}-{checksums.replace('_', '-')}-{addressing}"

    with run.step("create bucket"):
        client.create_bucket(Bucket=bucket)
        assert bucket in [b["Name"] for b in client.list_buckets()["Buckets"]]

    with run.step("metadata + content-type"):
        client.put_object(
            Bucket=bucket,
            Key="small.txt",
            Body=b"hello gateway",
            ContentType="text/x-compat",
            Metadata={"colour": "blue", "owner": "compat"},
        )
        head = client.head_object(Bucket=bucket, Key="small.txt")
        assert head["ContentType"] == "text/x-compat"
        assert head["Metadata"] == {"colour": "blue", "owner": "compat"}
        assert head["ETag"] == f'"{hashlib.md5(b"hello gateway").hexdigest()}"'

    with run.step("multipart 50 MB"):
        transfer = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB)
        client.upload_file(str(big_file.path), bucket, "big.bin", Config=transfer)
        head = client.head_object(Bucket=bucket, Key="big.bin")
        assert head["ContentLength"] == big_file.path.stat().st_size
        assert head["ETag"] == multipart_etag(big_file.path, 8 * MB)
        back = tmp_path / "back.bin"
        client.download_file(bucket, "big.bin", str(back), Config=transfer)
        assert sha256_of(back) == big_file.sha256

    with run.step("range"):
        got = client.get_object(Bucket=bucket, Key="big.bin", Range="bytes=10000000-10000999")
        assert got["ContentRange"] == f"bytes 10000000-10000999/{big_file.path.stat().st_size}"
        with big_file.path.open("rb") as f:
            f.seek(10_000_000)
            assert got["Body"].read() == f.read(1000)

    with run.step("odd keys"):
        for key in AWKWARD_KEYS:
            client.put_object(Bucket=bucket, Key=key, Body=key.encode())
            assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()

    with run.step("list prefix/delimiter"):
        listed = client.list_objects_v2(Bucket=bucket, Delimiter="/")
        assert [p["Prefix"] for p in listed["CommonPrefixes"]] == [
            "dir one/",
            "plus+sign/",
            "unicode/",
        ]
        assert [o["Key"] for o in listed["Contents"]] == ["big.bin", "small.txt"]
        listed = client.list_objects_v2(Bucket=bucket, Prefix="plus+sign/")
        assert [o["Key"] for o in listed["Contents"]] == ["plus+sign/a+b=c.txt"]
        v1 = client.list_objects(Bucket=bucket, Prefix="unicode/", Delimiter="/")
        assert [o["Key"] for o in v1["Contents"]] == [AWKWARD_KEYS[2]]

    with run.step("paging > 1000 (v1, v2)"):
        names = put_many_keys(served, bucket, "many/")
        for operation in ("list_objects_v2", "list_objects"):
            pages = client.get_paginator(operation).paginate(Bucket=bucket, Prefix="many/")
            seen = [o["Key"] for page in pages for o in page.get("Contents", [])]
            assert seen == names, operation

    with run.step("copy"):
        client.copy_object(
            Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "small.txt"}
        )
        copied = client.head_object(Bucket=bucket, Key="copy.txt")
        assert copied["Metadata"] == {"colour": "blue", "owner": "compat"}
        client.copy(
            {"Bucket": bucket, "Key": "big.bin"},
            bucket,
            "big-copy.bin",
            Config=TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB),
        )
        assert client.head_object(Bucket=bucket, Key="big-copy.bin")["ContentLength"] == (
            big_file.path.stat().st_size
        )

    with run.step("presigned GET (SigV2 default, SigV4)"):
        # With a custom endpoint in us-east-1, botocore presigns with SigV2 unless told s3v4.
        sigv4 = boto3.client(
            "s3",
            endpoint_url=client.meta.endpoint_url,
            aws_access_key_id=served.access_key,
            aws_secret_access_key=served.secret_key,
            region_name=served.region,
            config=Config(s3={"addressing_style": addressing}, signature_version="s3v4"),
        )
        for key in ("small.txt", AWKWARD_KEYS[1], AWKWARD_KEYS[2]):
            expected = b"hello gateway" if key == "small.txt" else key.encode()
            params = {"Bucket": bucket, "Key": key}
            v2 = client.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
            v4 = sigv4.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
            assert "Signature=" in v2
            assert "X-Amz-Signature=" in v4
            assert served.fetch(v2) == expected
            assert served.fetch(v4) == expected
        sigv4.close()

    with run.step("delete, delete many"):
        client.delete_object(Bucket=bucket, Key="copy.txt")
        result = client.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in names[:500]], "Quiet": True},
        )
        assert not result.get("Errors")
        remaining = client.list_objects_v2(Bucket=bucket, Prefix="many/")["KeyCount"]
        assert remaining == len(names) - 500
        assert "copy.txt" not in [
            o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]
        ]
