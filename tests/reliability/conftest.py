"""The reliability tier: the integration stack (real gateway + fault-enabled emulator on a
background loop, boto3 in the test thread), plus clients that retry like real SDKs do and
helpers that read what B2 holds and what the gateway's process holds open."""

from __future__ import annotations

import asyncio
import itertools
import os
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import boto3
import pytest
from aiohttp import web
from botocore.config import Config

from gateway.b2 import B2Client
from gateway.config import Identity
from gateway.s3.http import SERVER_SETTINGS, S3Frontend, build_app
from gateway.s3.sigv4 import SigV4Verifier
from gateway.translate.context import Context
from gateway.translate.dispatch import build_handlers
from tests.integration.conftest import B2_SIMPLE_LIMIT, PUT_BUFFER, Stack, Version
from tests.reliability.rawhttp import Endpoint

S3Client = Any
ClientFactory = Callable[..., S3Client]


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("reliability"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def no_leftover_faults(stack: Stack) -> Iterator[None]:
    """A fault a test queued but did not consume must not hit the next test."""
    yield
    clear_faults(stack)


_names = itertools.count()


@pytest.fixture
def bucket_name() -> str:
    return f"rel{os.getpid() % 10000:04d}-{next(_names):05d}"


@pytest.fixture
def clients(stack: Stack) -> Iterator[ClientFactory]:
    made: list[S3Client] = []

    def make(*, attempts: int = 1, secret: str | None = None, **config: Any) -> S3Client:
        """boto3 against the gateway; ``attempts`` > 1 retries as SDKs do (standard mode)."""
        client = boto3.client(
            "s3",
            endpoint_url=stack.gateway.http_url,
            aws_access_key_id=stack.emulator.key_id,
            aws_secret_access_key=secret or stack.emulator.key,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                retries={"total_max_attempts": attempts, "mode": "standard"},
                **config,
            ),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def s3(clients: ClientFactory) -> S3Client:
    """A client that does not retry: the test sees the gateway's first answer."""
    return clients()


@pytest.fixture
def bucket(s3: S3Client, bucket_name: str) -> str:
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


def _control(stack: Stack, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    async def send() -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, f"{stack.emulator.url}/_emulator/{path}", json=body) as r,
        ):
            assert r.status == 200, await r.text()
            return await r.json()

    return stack.call(send())


def queue_fault(stack: Stack, endpoint: str, **fault: Any) -> None:
    _control(stack, "POST", "faults", {"endpoint": endpoint, **fault})


def clear_faults(stack: Stack) -> None:
    _control(stack, "DELETE", "faults")


def expire_tokens(stack: Stack) -> None:
    _control(stack, "POST", "expire_tokens")


def b2_calls(stack: Stack) -> dict[str, int]:
    """Calls the emulator has served, by B2 call name, since the last reset."""
    counted: dict[str, int] = _control(stack, "GET", "counters")
    return counted


def reset_b2_calls(stack: Stack) -> None:
    _control(stack, "DELETE", "counters")


def leased_upload_urls(stack: Stack) -> float:
    """Upload URLs the gateway holds for an upload in progress (its metrics listener)."""
    assert stack.gateway.metrics_url is not None
    with urllib.request.urlopen(f"{stack.gateway.metrics_url}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    line = next(x for x in text.splitlines() if x.startswith('b2_upload_urls{state="leased"}'))
    return float(line.split()[-1])


def versions_of(stack: Stack, bucket: str) -> list[Version]:
    return sorted(stack.versions(bucket), key=lambda v: (v.name, v.file_id))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def task_count(stack: Stack) -> int:
    """Tasks alive on the gateway's loop (other than the one counting)."""

    async def count() -> int:
        return len(asyncio.all_tasks()) - 1

    result: int = stack.call(count())
    return result


@dataclass(frozen=True)
class Door:
    """A front door composed like the gateway's, with settings the test chooses, acting through
    the test's B2 client (whose counters the test can read)."""

    endpoint: Endpoint
    b2: B2Client
    ctx: Context = field(repr=False)


@contextmanager
def open_door(stack: Stack, *, body_idle_timeout: float = 30.0, **ctx: Any) -> Iterator[Door]:
    async def b2_for(_: Identity) -> B2Client:
        return stack.b2

    context = Context(
        b2_for, **{"put_buffer_bytes": PUT_BUFFER, "b2_max_simple_bytes": B2_SIMPLE_LIMIT, **ctx}
    )
    frontend = S3Frontend(
        build_handlers(context),
        SigV4Verifier(stack.credentials, region="us-east-1"),
        body_idle_timeout=body_idle_timeout,
    )
    runner = web.AppRunner(build_app(frontend), access_log=None, **SERVER_SETTINGS)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(runner.addresses[0][1])

    port: int = stack.call(start())
    endpoint = Endpoint(f"http://127.0.0.1:{port}", stack.emulator.key_id, stack.emulator.key)
    try:
        yield Door(endpoint, stack.b2, context)
    finally:
        stack.call(runner.cleanup())
