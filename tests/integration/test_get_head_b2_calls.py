"""What GET and HEAD cost in B2 calls (the emulator's counters)."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp

from tests.integration.conftest import Stack


def _counters(stack: Stack) -> dict[str, int]:
    async def read() -> dict[str, int]:
        url = f"{stack.emulator.url}/_emulator/counters"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            counters: dict[str, int] = await response.json()
            return counters

    result: dict[str, int] = stack.call(read())
    return result


def test_get_and_head_of_object_without_recorded_etag_ask_b2_once_per_version(
    stack: Stack, s3: Any, bucket_name: str
) -> None:
    """Written by another B2 tool, the object's ETag is B2's contentMd5: one b2_get_file_info
    for its file version, then remembered (a version never changes)."""
    s3.create_bucket(Bucket=bucket_name)
    bucket = stack.call(stack.b2.get_bucket(bucket_name))
    body = b"written by another B2 tool"
    etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
    stack.call(stack.b2.upload_file(bucket.bucket_id, "other", body))
    before = _counters(stack).get("b2_get_file_info", 0)
    assert s3.get_object(Bucket=bucket_name, Key="other")["ETag"] == etag
    assert _counters(stack).get("b2_get_file_info", 0) == before + 1
    assert s3.get_object(Bucket=bucket_name, Key="other")["Body"].read() == body
    assert s3.head_object(Bucket=bucket_name, Key="other")["ETag"] == etag
    assert _counters(stack).get("b2_get_file_info", 0) == before + 1
    # A new version is another file id: asked for once again.
    stack.call(stack.b2.upload_file(bucket.bucket_id, "other", b"v2"))
    etag2 = f'"{hashlib.md5(b"v2", usedforsecurity=False).hexdigest()}"'
    assert s3.head_object(Bucket=bucket_name, Key="other")["ETag"] == etag2
    assert _counters(stack).get("b2_get_file_info", 0) == before + 2
