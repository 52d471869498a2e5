"""A real gateway on 127.0.0.1 (HTTP and HTTPS) in front of an in-memory emulator, both on a
background event loop so that blocking clients (boto3) can drive them from the test thread."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.config import Config

from gateway.app import RunningGateway, start_gateway
from gateway.b2 import B2Client, FileQuery
from gateway.config import B2Key, CredentialStore, Identity, ServeSettings
from gateway.emulator.server import EmulatorSettings, RunningEmulator, start_emulator

PUT_BUFFER = 1024 * 1024  # bodies above this stream to B2 (small, so tests stay fast)
B2_SIMPLE_LIMIT = 4 * 1024 * 1024  # objects above this become B2 large files (5 GB in production)
PART_SIZE = 1024 * 1024  # the emulator's recommended (and minimum) part size here
VHOST_DOMAIN = "s3.localhost"  # virtual-host style: <bucket>.s3.localhost
LIMITED_KEY, LIMITED_SECRET = "limited-identity", "limited-identity-secret-0123456789"
LIMITED_BUCKET = "limited-allowed"


@dataclass(frozen=True)
class Version:
    name: str
    file_id: str
    action: str


class Stack:
    """Emulator + gateway on their own loop in a daemon thread."""

    def __init__(self, data_dir: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.emulator: RunningEmulator = self.call(
            start_emulator(
                EmulatorSettings(
                    faults=True,
                    max_buckets=100_000,
                    absolute_minimum_part_size=PART_SIZE,
                    recommended_part_size=PART_SIZE,
                )
            )
        )
        key = B2Key(self.emulator.key_id, self.emulator.key)
        self.credentials = CredentialStore(
            {
                key.key_id: Identity(key.key_id, key.application_key, key),
                LIMITED_KEY: Identity(
                    LIMITED_KEY, LIMITED_SECRET, key, frozenset({LIMITED_BUCKET})
                ),
            }
        )
        settings = ServeSettings(
            port=0,
            tls=True,
            tls_port=0,
            metrics_port=0,
            data_dir=data_dir,
            realm_url=self.emulator.url,
            put_buffer_bytes=PUT_BUFFER,
            b2_max_simple_bytes=B2_SIMPLE_LIMIT,
            base_domains=(VHOST_DOMAIN,),
        )
        self.gateway: RunningGateway = self.call(start_gateway(settings, self.credentials))
        self.b2: B2Client = self.call(self._open_b2())

    async def _open_b2(self) -> B2Client:
        client = B2Client(self.emulator.url, self.emulator.key_id, self.emulator.key)
        await client.open()
        return client

    def call(self, coroutine: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        future: Future[Any] = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        return future.result(timeout=60)

    def versions(self, bucket: str) -> list[Version]:
        """Every file version B2 holds in ``bucket`` (uploads, hide markers, unfinished)."""

        async def collect() -> list[Version]:
            found = await self.b2.get_bucket(bucket)
            assert found is not None
            page = await self.b2.list_file_versions(
                found.bucket_id, FileQuery(max_file_count=10000)
            )
            assert page.next_file_name is None
            unfinished = await self.b2.list_unfinished_large_files(found.bucket_id)
            files = [*page.files, *unfinished.files]
            return [Version(f.file_name, f.require_id(), f.action) for f in files]

        result: list[Version] = self.call(collect())
        return result

    def inject(self, endpoint: str, status: int | None, code: str, **fault: Any) -> None:
        """Queue a B2 error for the next call(s) of ``endpoint`` (the emulator's fault surface)."""

        async def post() -> None:
            async with aiohttp.ClientSession() as session:
                body = {"endpoint": endpoint, "status": status, "code": code, **fault}
                async with session.post(f"{self.emulator.url}/_emulator/faults", json=body) as r:
                    assert r.status == 200, await r.text()

        self.call(post())

    def stop(self) -> None:
        self.call(self.b2.close())
        self.call(self.gateway.close())
        self.call(self.emulator.close())
        self.call(_cancel_leftovers())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


async def _cancel_leftovers() -> None:
    """Connection handlers of clients that never said goodbye: cancel them before the loop
    stops, so nothing is destroyed while pending."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("gateway"))
    yield running
    running.stop()


_names = itertools.count()


@pytest.fixture
def bucket_name(request: pytest.FixtureRequest) -> str:
    """A fresh, B2-valid bucket name per test (not created)."""
    return f"t{next(_names):04d}-{abs(hash(request.node.nodeid)) % 10**8:08d}"


S3Factory = Callable[..., Any]


@pytest.fixture
def s3_factory(stack: Stack) -> Iterator[S3Factory]:
    clients: list[Any] = []

    def make(
        *,
        https: bool = False,
        checksums: str = "when_supported",
        access_key: str | None = None,
        secret: str | None = None,
        **config: Any,
    ) -> Any:
        gateway = stack.gateway
        assert gateway.https_url is not None
        assert gateway.ca_bundle is not None
        client = boto3.client(
            "s3",
            endpoint_url=gateway.https_url if https else gateway.http_url,
            aws_access_key_id=access_key or stack.emulator.key_id,
            aws_secret_access_key=secret or stack.emulator.key,
            region_name="us-east-1",
            verify=str(gateway.ca_bundle) if https else None,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"total_max_attempts": 1, "mode": "standard"},
                request_checksum_calculation=checksums,
                response_checksum_validation=checksums,
                **config,
            ),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def s3(s3_factory: S3Factory) -> Any:
    return s3_factory()


@pytest.fixture
def bucket(s3: Any, bucket_name: str) -> str:
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


CLIENT_FLAVOURS = [
    pytest.param({"https": False, "checksums": "when_supported"}, id="http-default"),
    pytest.param({"https": False, "checksums": "when_required"}, id="http-when_required"),
    pytest.param({"https": True, "checksums": "when_supported"}, id="https-default"),
    pytest.param({"https": True, "checksums": "when_required"}, id="https-when_required"),
]


@pytest.fixture(params=CLIENT_FLAVOURS)
def any_s3(request: pytest.FixtureRequest, s3_factory: S3Factory) -> Any:
    """Each test using this runs with every client flavour."""
    return s3_factory(**request.param)
