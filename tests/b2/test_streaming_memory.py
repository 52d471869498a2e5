"""Large bodies stream through the client with flat memory (traced allocations, not timing)."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from gateway.b2.body import UploadBody
from gateway.b2.client import B2Client
from gateway.b2.models import Bucket

SIZE = 256 * 1024 * 1024
CHUNK = bytes(range(256)) * 4096  # 1 MiB, reused: the source itself allocates nothing
BUDGET = 24 * 1024 * 1024  # peak traced memory allowed while 256 MiB pass through


@contextmanager
def traced_peak() -> Iterator[list[int]]:
    """Peak bytes allocated by Python (client and in-process emulator) inside the block."""
    result: list[int] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result.append(peak)


async def _source() -> AsyncIterator[bytes]:
    for _ in range(SIZE // len(CHUNK)):
        yield CHUNK


def _expected_sha1() -> str:
    digest = hashlib.sha1()
    for _ in range(SIZE // len(CHUNK)):
        digest.update(CHUNK)
    return digest.hexdigest()


async def test_256_mib_upload_and_download_keep_memory_flat(b2: B2Client, bucket: Bucket) -> None:
    with traced_peak() as upload_peak:
        version = await b2.upload_file(
            bucket.bucket_id, "big.bin", UploadBody.one_shot(SIZE, _source())
        )
    assert version.content_length == SIZE
    assert version.content_sha1 == _expected_sha1()
    assert upload_peak[0] < BUDGET

    digest = hashlib.sha1()
    received = 0
    with traced_peak() as download_peak:
        async with b2.download_by_name(bucket.bucket_name, "big.bin") as download:
            async for chunk in download.iter_chunks(1 << 16):
                received += len(chunk)
                digest.update(chunk)
    assert received == SIZE
    assert digest.hexdigest() == version.content_sha1
    assert download_peak[0] < BUDGET
