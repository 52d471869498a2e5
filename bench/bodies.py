"""Upload bodies generated on the fly: one 1 MiB block repeated, so a 5 GiB upload costs the
client no memory and almost no CPU. The SHA-256 a signed PUT needs is computed before the timed
window (it is the client's cost, not the server's)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator

BLOCK = bytes(range(256)) * 4096  # 1 MiB, not all zeros


async def chunks(length: int) -> AsyncIterator[bytes]:
    view = memoryview(BLOCK)
    remaining = length
    while remaining > 0:
        n = min(len(BLOCK), remaining)
        yield BLOCK if n == len(BLOCK) else bytes(view[:n])
        remaining -= n


@functools.cache
def sha256_hex(length: int) -> str:
    digest = hashlib.sha256()
    remaining = length
    while remaining > 0:
        n = min(len(BLOCK), remaining)
        digest.update(BLOCK[:n] if n < len(BLOCK) else BLOCK)
        remaining -= n
    return digest.hexdigest()
