"""A gateway whose B2 key is restricted to one bucket (a common production set-up)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.config import Config

from gateway.app import RunningGateway, start_gateway
from gateway.config import B2Key, CredentialStore, Identity, ServeSettings
from gateway.s3 import errors
from tests.integration.conftest import Stack
from tests.integration.helpers import refused


async def _restricted_key(stack: Stack, bucket_id: str) -> B2Key:
    account = await stack.b2.account()
    body = {
        "accountId": account.account_id,
        "capabilities": ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"],
        "keyName": "one-bucket",
        "bucketIds": [bucket_id],
    }
    headers = {"Authorization": account.authorization_token}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{account.api_url}/b2api/v4/b2_create_key", json=body, headers=headers
        ) as response,
    ):
        assert response.status == 200, await response.text()
        created = await response.json()
    return B2Key(created["applicationKeyId"], created["applicationKey"])


@pytest.fixture
def restricted(stack: Stack, s3: Any, bucket: str, tmp_path: Path) -> Iterator[Any]:
    s3.create_bucket(Bucket=f"{bucket}-other")
    found = stack.call(stack.b2.get_bucket(bucket))
    key = stack.call(_restricted_key(stack, found.bucket_id))
    credentials = CredentialStore({key.key_id: Identity(key.key_id, key.application_key, key)})
    settings = ServeSettings(port=0, data_dir=tmp_path, realm_url=stack.emulator.url)
    gateway: RunningGateway = stack.call(start_gateway(settings, credentials))
    client = boto3.client(
        "s3",
        endpoint_url=gateway.http_url,
        aws_access_key_id=key.key_id,
        aws_secret_access_key=key.application_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )
    yield client
    client.close()
    stack.call(gateway.close())


def test_restricted_b2_key_lists_its_bucket_and_is_denied_elsewhere(
    restricted: Any, bucket: str
) -> None:
    assert [b["Name"] for b in restricted.list_buckets()["Buckets"]] == [bucket]
    restricted.put_object(Bucket=bucket, Key="k", Body=b"mine")
    assert restricted.get_object(Bucket=bucket, Key="k")["Body"].read() == b"mine"
    with refused(errors.AccessDenied):
        restricted.put_object(Bucket=f"{bucket}-other", Key="k", Body=b"no")
    with refused(errors.AccessDenied):
        restricted.create_bucket(Bucket=f"{bucket}-new")
