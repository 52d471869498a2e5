"""The emulator's persistent state: SQLite metadata on its own thread, plus the blob store."""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from gateway.emulator.blobs import BlobStore
from gateway.emulator.metadata import MetadataDb

_T = TypeVar("_T")
_BLOB_IO_THREADS = 4


class Store:
    """Owns the metadata thread, the blob I/O pool and (in memory mode) the temp directory."""

    def __init__(self, data_dir: Path | None, rng: random.Random) -> None:
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="b2-emulator-")
            root, db_path, durable = Path(self._temp_dir.name), ":memory:", False
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            root, db_path, durable = data_dir, str(data_dir / "metadata.sqlite"), True
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="b2-emulator-db")
        self._io_threads = ThreadPoolExecutor(_BLOB_IO_THREADS, thread_name_prefix="b2-emulator-io")
        self._db = self._db_thread.submit(MetadataDb, db_path).result()
        self.blobs = BlobStore(root, durable=durable, rng=rng, executor=self._io_threads)

    async def meta(self, fn: Callable[[MetadataDb], _T]) -> _T:
        """Run ``fn`` on the metadata thread: one transaction at a time, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._db_thread, fn, self._db)

    async def recover(self) -> None:
        """Drop what a crash may have left: temp uploads and blobs no version references."""
        referenced = await self.meta(lambda db: db.referenced_blobs())
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._io_threads, self.blobs.remove_temp_files)
        await loop.run_in_executor(self._io_threads, self.blobs.sweep, referenced)

    async def close(self) -> None:
        await self.meta(lambda db: db.close())
        if self._temp_dir is not None:
            temp_dir = self._temp_dir
            await asyncio.get_running_loop().run_in_executor(self._io_threads, temp_dir.cleanup)
        self._db_thread.shutdown()
        self._io_threads.shutdown()
