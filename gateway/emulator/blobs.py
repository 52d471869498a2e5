"""Immutable byte blobs on disk: written to a temp file, fsynced, then renamed into place.

A blob is only ever referenced by metadata committed *after* its rename, so a crash at any
point leaves either a complete blob (maybe orphaned, swept at start) or temp junk (deleted at
start), never a file version pointing at partial bytes. Blocking calls go to a thread pool.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, TypeVar

from gateway.emulator.ids import random_hex

_T = TypeVar("_T")
WRITE_BUFFER_BYTES = 1 << 20
READ_CHUNK_BYTES = 256 * 1024


class BlobStore:
    def __init__(
        self, root: Path, *, durable: bool, rng: random.Random, executor: ThreadPoolExecutor
    ) -> None:
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._durable = durable
        self._rng = rng
        self._executor = executor
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def path(self, blob: str) -> Path:
        return self._blobs / blob[:2] / blob

    def remove_temp_files(self) -> None:
        for leftover in self._tmp.iterdir():
            leftover.unlink()

    def sweep(self, referenced: set[str]) -> int:
        """Delete blobs no metadata references (left by a crash between unlink and commit)."""
        removed = 0
        for shard in self._blobs.iterdir():
            for blob in shard.iterdir():
                if blob.name not in referenced:
                    blob.unlink()
                    removed += 1
        return removed

    async def new_writer(self) -> BlobWriter:
        blob = random_hex(self._rng, 32)
        temp = self._tmp / blob
        handle = await self._run(_create, temp)
        return BlobWriter(self, blob, temp, handle)

    async def delete(self, blobs: list[str]) -> None:
        for blob in blobs:
            await self._run(self.path(blob).unlink, True)

    async def read(self, blob: str, offset: int, length: int) -> AsyncIterator[bytes]:
        handle = await self._run(_open, self.path(blob))
        try:
            await self._run(handle.seek, offset)
            remaining = length
            while remaining > 0:
                chunk = await self._run(handle.read, min(READ_CHUNK_BYTES, remaining))
                if not chunk:
                    raise OSError(f"blob {blob} is shorter than its metadata says")
                remaining -= len(chunk)
                yield chunk
        finally:
            await self._run(handle.close)

    def _publish(self, temp: Path, handle: BinaryIO, blob: str) -> None:
        handle.flush()
        if self._durable:
            os.fsync(handle.fileno())
        handle.close()
        final = self.path(blob)
        final.parent.mkdir(exist_ok=True)
        os.replace(temp, final)
        if self._durable:
            directory = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def _create(path: Path) -> BinaryIO:
    return path.open("xb")


def _open(path: Path) -> BinaryIO:
    return path.open("rb")


class BlobWriter:
    """Buffers up to ``WRITE_BUFFER_BYTES`` before handing a write to the thread pool."""

    def __init__(self, store: BlobStore, blob: str, temp: Path, handle: BinaryIO) -> None:
        self._store = store
        self.blob = blob
        self._temp = temp
        self._handle = handle
        self._buffer = bytearray()
        self.size = 0

    async def write(self, data: bytes) -> None:
        self._buffer += data
        self.size += len(data)
        if len(self._buffer) >= WRITE_BUFFER_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if self._buffer:
            chunk, self._buffer = bytes(self._buffer), bytearray()
            await self._store._run(self._handle.write, chunk)

    async def commit(self) -> str:
        """Make the bytes durable under their final name; returns the blob id."""
        await self._flush()
        await self._store._run(self._store._publish, self._temp, self._handle, self.blob)
        return self.blob

    async def discard(self) -> None:
        def drop() -> None:
            self._handle.close()
            self._temp.unlink(missing_ok=True)

        await self._store._run(drop)
