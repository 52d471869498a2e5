"""The three ways a byte can reach the emulator, behind one interface: ``direct`` (the async B2
client itself), and the S3 client pointed at the ``null`` proxy or at the ``gateway``."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from bench import bodies
from bench.s3client import Body, S3Client
from gateway.b2 import B2Client
from gateway.b2.body import UploadBody
from gateway.b2.models import FileQuery

PATH_NAMES = ("direct", "null", "gateway")


class Target(Protocol):
    name: str
    server_pid: int | None  # the process between client and emulator (None: direct)

    async def put(self, bucket: str, key: str, length: int, *, signed: bool) -> None: ...

    async def put_small(self, bucket: str, key: str, data: bytes) -> None: ...

    async def get(self, bucket: str, key: str) -> int: ...

    async def head(self, bucket: str, key: str) -> None: ...

    async def list(self, bucket: str) -> None: ...

    async def multipart(
        self, bucket: str, key: str, length: int, part_size: int, parallel: int
    ) -> float:
        """Upload in parts; return the seconds the final call (Complete / finish) took."""
        ...


def part_lengths(length: int, part_size: int) -> list[int]:
    full, rest = divmod(length, part_size)
    return [part_size] * full + ([rest] if rest else [])


class S3Target:
    """Null proxy or gateway: what an S3 application would send."""

    def __init__(self, name: str, client: S3Client, server_pid: int) -> None:
        self.name = name
        self._s3 = client
        self.server_pid: int | None = server_pid

    async def put(self, bucket: str, key: str, length: int, *, signed: bool) -> None:
        digest = bodies.sha256_hex(length) if signed else None
        await self._s3.put_object(bucket, key, Body(length, bodies.chunks(length), digest))

    async def put_small(self, bucket: str, key: str, data: bytes) -> None:
        await self._s3.put_object(bucket, key, data)  # payload signed, as SDKs do over HTTP

    async def get(self, bucket: str, key: str) -> int:
        return await self._s3.get_object(bucket, key)

    async def head(self, bucket: str, key: str) -> None:
        await self._s3.head_object(bucket, key)

    async def list(self, bucket: str) -> None:
        await self._s3.list_objects_v2(bucket, max_keys=1000)

    async def multipart(
        self, bucket: str, key: str, length: int, part_size: int, parallel: int
    ) -> float:
        upload_id = await self._s3.create_multipart_upload(bucket, key)
        gate = asyncio.Semaphore(parallel)

        async def part(number: int, size: int) -> str:
            async with gate:
                body = Body(size, bodies.chunks(size))
                return await self._s3.upload_part(bucket, key, upload_id, number, body)

        sizes = part_lengths(length, part_size)
        etags = await asyncio.gather(*(part(n, s) for n, s in enumerate(sizes, start=1)))
        began = time.perf_counter()
        await self._s3.complete_multipart_upload(bucket, key, upload_id, list(etags))
        return time.perf_counter() - began


class DirectTarget:
    """The B2-native client talking to the emulator with nothing in between. It has no notion
    of a signed payload: its uploads always stream with the SHA-1 B2 needs sent at the end."""

    name = "direct"
    server_pid: int | None = None

    def __init__(self, client: B2Client) -> None:
        self._b2 = client
        self._bucket_ids: dict[str, str] = {}

    async def _bucket_id(self, bucket: str) -> str:
        if bucket not in self._bucket_ids:
            found = await self._b2.get_bucket(bucket)
            if found is None:
                raise LookupError(bucket)
            self._bucket_ids[bucket] = found.bucket_id
        return self._bucket_ids[bucket]

    async def put(self, bucket: str, key: str, length: int, *, signed: bool) -> None:
        body = UploadBody.one_shot(length, bodies.chunks(length))
        await self._b2.upload_file(await self._bucket_id(bucket), key, body)

    async def put_small(self, bucket: str, key: str, data: bytes) -> None:
        await self._b2.upload_file(await self._bucket_id(bucket), key, data)

    async def get(self, bucket: str, key: str) -> int:
        received = 0
        async with self._b2.download_by_name(bucket, key) as download:
            async for chunk in download.iter_chunks(1 << 20):
                received += len(chunk)
        return received

    async def head(self, bucket: str, key: str) -> None:
        await self._b2.head_by_name(bucket, key)

    async def list(self, bucket: str) -> None:
        query = FileQuery(max_file_count=1000)
        await self._b2.list_file_names(await self._bucket_id(bucket), query)

    async def multipart(
        self, bucket: str, key: str, length: int, part_size: int, parallel: int
    ) -> float:
        started = await self._b2.start_large_file(await self._bucket_id(bucket), key)
        file_id = started.require_id()
        gate = asyncio.Semaphore(parallel)

        async def part(number: int, size: int) -> str:
            async with gate:
                body = UploadBody.one_shot(size, bodies.chunks(size))
                uploaded = await self._b2.upload_part(file_id, number, body)
                return uploaded.content_sha1

        sizes = part_lengths(length, part_size)
        sha1s = await asyncio.gather(*(part(n, s) for n, s in enumerate(sizes, start=1)))
        began = time.perf_counter()
        await self._b2.finish_large_file(file_id, tuple(sha1s))
        return time.perf_counter() - began
