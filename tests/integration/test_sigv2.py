"""AWS Signature Version 2 through the real gateway: a boto3 client with ``signature_version="s3"``
and botocore's default (SigV2) presigned URLs; and the setting that turns SigV2 off."""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway.app import start_gateway
from gateway.cli import _build_parser
from gateway.config import ServeSettings, load_serve_settings
from tests.integration.conftest import S3Factory, Stack
from tests.integration.test_virtual_host import vhost_s3  # noqa: F401 - a fixture

KEYS = ["plain.txt", "a b+c~ü=.txt", "dir//double", "100%.txt"]


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
    return body


def test_sigv2_client_puts_gets_lists_and_deletes(s3_factory: S3Factory, bucket_name: str) -> None:
    s3 = s3_factory(signature_version="s3", checksums="when_required")
    s3.create_bucket(Bucket=bucket_name)
    for key in KEYS:
        body = key.encode() * 100
        s3.put_object(Bucket=bucket_name, Key=key, Body=body, Metadata={"note": "plain note"})
        got = s3.get_object(Bucket=bucket_name, Key=key)
        assert got["Body"].read() == body
        assert got["Metadata"] == {"note": "plain note"}
    listed = s3.list_objects_v2(Bucket=bucket_name, Prefix="a b")["Contents"]
    assert [item["Key"] for item in listed] == ["a b+c~ü=.txt"]
    assert len(s3.list_objects(Bucket=bucket_name)["Contents"]) == len(KEYS)
    assert s3.head_object(Bucket=bucket_name, Key="dir//double")["ContentLength"] == 1100
    s3.delete_object(Bucket=bucket_name, Key="plain.txt")
    s3.delete_objects(
        Bucket=bucket_name, Delete={"Objects": [{"Key": k} for k in KEYS if k != "plain.txt"]}
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket_name)


def test_sigv2_client_multipart_upload(s3_factory: S3Factory, bucket: str) -> None:
    s3 = s3_factory(signature_version="s3", checksums="when_required")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = [b"a" * (5 * 1024 * 1024), b"tail"]  # S3's 5 MiB minimum part
    etags = [
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n, Body=part)["ETag"]
        for n, part in enumerate(parts, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"".join(parts)


def test_sigv2_put_with_wrong_content_md5_is_bad_digest_and_stores_nothing(
    s3_factory: S3Factory, bucket: str
) -> None:
    s3 = s3_factory(signature_version="s3", checksums="when_required")
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=wrong)
    assert caught.value.response["Error"]["Code"] == "BadDigest"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_default_presigned_get_and_put_urls_work_with_urllib(
    s3_factory: S3Factory, bucket: str
) -> None:
    s3 = s3_factory(signature_version="s3")
    presigner = s3_factory()  # no signature_version: botocore presigns SigV2 here
    put_url = presigner.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "a b+c.txt", "ContentType": "text/plain"},
        ExpiresIn=300,
    )
    assert "AWSAccessKeyId=" in put_url
    upload = urllib.request.Request(
        put_url, b"uploaded by URL", {"Content-Type": "text/plain"}, method="PUT"
    )
    with urllib.request.urlopen(upload, timeout=30) as response:
        assert response.status == 200
    get_url = presigner.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "a b+c.txt",
            "ResponseContentDisposition": 'attachment; filename="x y.txt"',
        },
        ExpiresIn=300,
    )
    request = urllib.request.Request(get_url)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.read() == b"uploaded by URL"
        assert response.headers["Content-Disposition"] == 'attachment; filename="x y.txt"'
    stored = s3.get_object(Bucket=bucket, Key="a b+c.txt")
    assert (stored["ContentType"], stored["Body"].read()) == ("text/plain", b"uploaded by URL")


def test_expired_and_tampered_presigned_urls_are_refused(
    s3_factory: S3Factory, bucket: str
) -> None:
    s3 = s3_factory()
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    expired = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=-10
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        _fetch(expired)
    assert caught.value.code == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired" in caught.value.read()
    valid = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        _fetch(valid.replace(f"/{bucket}/k?", f"/{bucket}/other?"))
    assert caught.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in caught.value.read()


@pytest.fixture
def vhost_sigv2_s3(request: pytest.FixtureRequest, stack: Stack) -> Iterator[Any]:
    """A SigV2 client addressing buckets as ``<bucket>.s3.localhost`` (the SigV4 ``vhost_s3``
    fixture resolves those names to 127.0.0.1 for the test)."""
    client = boto3.client(
        "s3",
        endpoint_url=request.getfixturevalue("vhost_s3").meta.endpoint_url,
        aws_access_key_id=stack.emulator.key_id,
        aws_secret_access_key=stack.emulator.key,
        region_name="us-east-1",
        config=Config(
            signature_version="s3",
            s3={"addressing_style": "virtual"},
            retries={"total_max_attempts": 1},
            request_checksum_calculation="when_required",
        ),
    )
    yield client
    client.close()


def test_sigv2_virtual_host_client_signs_the_bucket_into_the_resource(
    vhost_sigv2_s3: Any, s3: Any, bucket: str
) -> None:
    vhost_sigv2_s3.put_object(Bucket=bucket, Key="v h.txt", Body=b"virtual")
    assert vhost_sigv2_s3.get_object(Bucket=bucket, Key="v h.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in vhost_sigv2_s3.list_objects(Bucket=bucket)["Contents"]] == ["v h.txt"]
    assert s3.get_object(Bucket=bucket, Key="v h.txt")["Body"].read() == b"virtual"


# --- the setting ----------------------------------------------------------------------------


def test_sigv2_setting_from_file_environment_and_flag(tmp_path: Path) -> None:
    assert ServeSettings().sigv2 is True
    config = tmp_path / "gateway.toml"
    config.write_text("[server]\nsigv2 = false\n", encoding="utf-8")
    assert load_serve_settings(config, {}, {}).sigv2 is False
    assert load_serve_settings(None, {"GATEWAY_SIGV2": "0"}, {}).sigv2 is False
    assert load_serve_settings(None, {"GATEWAY_SIGV2": "true"}, {}).sigv2 is True
    assert load_serve_settings(config, {"GATEWAY_SIGV2": "on"}, {}).sigv2 is True
    flag = _build_parser().parse_args(["serve", "--no-sigv2"]).sigv2
    assert load_serve_settings(None, {"GATEWAY_SIGV2": "1"}, {"sigv2": flag}).sigv2 is False
    assert _build_parser().parse_args(["serve"]).sigv2 is None  # unset: file/env decide


def test_gateway_with_sigv2_off_refuses_sigv2_and_still_serves_sigv4(
    stack: Stack, tmp_path: Path, bucket_name: str
) -> None:
    settings = ServeSettings(port=0, data_dir=tmp_path, realm_url=stack.emulator.url, sigv2=False)
    gateway = stack.call(start_gateway(settings, stack.credentials))
    try:

        def client(**config: Any) -> Any:
            return boto3.client(
                "s3",
                endpoint_url=gateway.http_url,
                aws_access_key_id=stack.emulator.key_id,
                aws_secret_access_key=stack.emulator.key,
                region_name="us-east-1",
                config=Config(retries={"total_max_attempts": 1}, **config),
            )

        sigv4 = client(signature_version="s3v4")
        sigv4.create_bucket(Bucket=bucket_name)
        sigv4.put_object(Bucket=bucket_name, Key="k", Body=b"v")
        with pytest.raises(ClientError) as caught:
            client(signature_version="s3").get_object(Bucket=bucket_name, Key="k")
        assert caught.value.response["Error"]["Code"] == "InvalidRequest"
        presigned = client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket_name, "Key": "k"}, ExpiresIn=300
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            _fetch(presigned)
        assert refused.value.code == 400
        assert b"Please use AWS4-HMAC-SHA256" in refused.value.read()
        assert sigv4.get_object(Bucket=bucket_name, Key="k")["Body"].read() == b"v"
    finally:
        stack.call(gateway.close())
