"""Virtual-host style addressing (<bucket>.<base domain>) through boto3."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.integration.conftest import VHOST_DOMAIN, Stack

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def vhost_s3(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``*.s3.localhost`` does not resolve here: send it to 127.0.0.1 for this test."""

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(VHOST_DOMAIN):
            host = "127.0.0.1"
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    port = stack.gateway.http_url.rsplit(":", 1)[1]
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{VHOST_DOMAIN}:{port}",
        aws_access_key_id=stack.emulator.key_id,
        aws_secret_access_key=stack.emulator.key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "virtual"}, retries={"total_max_attempts": 1}),
    )
    yield client
    client.close()


def test_virtual_host_put_get_list(vhost_s3: Any, bucket: str) -> None:
    put = vhost_s3.put_object(Bucket=bucket, Key="dir/a b+c", Body=b"vhost")
    got = vhost_s3.get_object(Bucket=bucket, Key="dir/a b+c")
    assert got["Body"].read() == b"vhost"
    assert got["ETag"] == put["ETag"]
    listed = vhost_s3.list_objects_v2(Bucket=bucket, Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/a b+c"]
    vhost_s3.delete_object(Bucket=bucket, Key="dir/a b+c")
    assert "Contents" not in vhost_s3.list_objects_v2(Bucket=bucket)
