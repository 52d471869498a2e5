"""Bodies stream: a large upload and download never hold the object in memory."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.emulator.raw import B2Raw

CHUNK = bytes(range(256)) * 256  # 64 KiB
CHUNKS = 512  # 32 MiB in all
PEAK_LIMIT = 8 * 1024 * 1024  # a quarter of the object: generous for buffers, far below it


async def _body() -> AsyncIterator[bytes]:
    for _ in range(CHUNKS):
        yield CHUNK


@pytest.mark.timeout(300)
async def test_large_upload_and_download_use_bounded_memory(b2: B2Raw, bucket: Any) -> None:
    expected = hashlib.sha1()
    for _ in range(CHUNKS):
        expected.update(CHUNK)
    url, token = await b2.upload_url(bucket["bucketId"])
    tracemalloc.start()
    try:
        async with b2.session.post(
            url,
            headers={
                "Authorization": token,
                "X-Bz-File-Name": "big.bin",
                "Content-Type": "application/octet-stream",
                "X-Bz-Content-Sha1": expected.hexdigest(),
                "Content-Length": str(len(CHUNK) * CHUNKS),
            },
            data=_body(),
        ) as response:
            assert response.status == 200, await response.text()
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        downloaded = hashlib.sha1()
        async with b2.session.get(
            f"{b2.url}/file/{bucket['bucketName']}/big.bin", headers={"Authorization": b2.token}
        ) as response:
            async for chunk in response.content.iter_chunked(64 * 1024):
                downloaded.update(chunk)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert downloaded.hexdigest() == expected.hexdigest()
    assert upload_peak < PEAK_LIMIT
    assert download_peak < PEAK_LIMIT
