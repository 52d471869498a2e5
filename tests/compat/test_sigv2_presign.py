"""Presigned URLs as three clients make them by default: SigV2 query strings.

botocore's ``generate_presigned_url`` (custom endpoint, no ``signature_version``),
``aws s3 presign`` (awscli 1.x) and ``s3cmd signurl`` all produce
``?AWSAccessKeyId=..&Expires=..&Signature=..``, which the gateway verifies (gateway.s3.sigv2;
on by default, ``GATEWAY_SIGV2=0`` / ``--no-sigv2`` refuses them). Each URL is fetched with urllib.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.compat.conftest import Served, require_program, run
from tests.compat.test_s3cmd import s3cmd_config

pytestmark = pytest.mark.compat
BUCKET = "sigv2-presign"


@pytest.fixture(scope="module")
def object_url_path(served: Served) -> str:
    client = served.boto3(https=False)
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="k", Body=b"v2")
    client.close()
    return f"{BUCKET}/k"


def test_boto3_default_presigned_get_is_accepted(served: Served, object_url_path: str) -> None:
    plain = boto3.client(
        "s3",
        endpoint_url=served.http_url,
        aws_access_key_id=served.access_key,
        aws_secret_access_key=served.secret_key,
        region_name=served.region,
    )
    url = plain.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "k"}, ExpiresIn=300
    )
    assert "AWSAccessKeyId=" in url
    assert served.fetch(url) == b"v2"


def test_awscli_default_presign_is_accepted(served: Served, object_url_path: str) -> None:
    url = run([require_program("aws"), "s3", "presign", f"s3://{object_url_path}"],
              served.environment(https=True)).strip()  # fmt: skip
    assert "AWSAccessKeyId=" in url
    assert served.fetch(url) == b"v2"


def test_s3cmd_signurl_is_accepted(served: Served, object_url_path: str, tmp_path: Path) -> None:
    config = s3cmd_config(served, tmp_path, https=False)  # signurl writes http://
    url = run([require_program("s3cmd"), "-c", str(config), "signurl",
               f"s3://{object_url_path}", "+300"], served.environment()).strip()  # fmt: skip
    assert "AWSAccessKeyId=" in url
    assert served.fetch(url) == b"v2"
