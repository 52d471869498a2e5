"""A real front door on 127.0.0.1 with an echo handler, plus raw-socket and botocore clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from aiohttp import web
from botocore.config import Config

from gateway.config import B2Key, CredentialStore, Identity
from gateway.s3.http import SERVER_SETTINGS, S3Frontend, build_app
from gateway.s3.messages import Handler, S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.sigv2 import SigV2Verifier
from gateway.s3.sigv4 import Clock, SigV4Verifier
from gateway.tls import ensure_self_signed, server_context

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DOC_AKID = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"

_B2 = B2Key("b2-key-id", "b2-application-key")
CREDENTIALS = CredentialStore(
    {
        AKID: Identity(AKID, SECRET, _B2),
        DOC_AKID: Identity(DOC_AKID, DOC_SECRET, _B2),
    }
)


async def echo(request: S3Request) -> S3Response:
    """Drain the body and report what arrived: the test handler of the brief."""
    digest = await request.body.drain()
    checksums = ";".join(f"{alg.value}={value}" for alg, value in digest.checksums.items())
    return S3Response(
        200,
        {
            "ETag": f'"{digest.md5_hex}"',
            "x-echo-op": str(request.op),
            "x-echo-bucket": request.bucket or "",
            "x-echo-key": quote(request.key or "", safe=""),
            "x-echo-length": str(digest.length),
            "x-echo-md5": digest.md5_hex or "",
            "x-echo-checksums": checksums,
        },
        b"",
    )


ECHO_ALL: Mapping[Op, Handler] = dict.fromkeys(Op, echo)


def fixed_clock(when: str) -> Clock:
    moment = dt.datetime.strptime(when, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return lambda: moment


StartServer = Callable[..., Awaitable[str]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    runners: list[web.AppRunner] = []

    async def start(
        *,
        clock: Clock | None = None,
        ssl_context: ssl.SSLContext | None = None,
        handlers: Mapping[Op, Handler] = ECHO_ALL,
        base_domains: tuple[str, ...] = (),
        trusted_proxies: tuple[str, ...] = (),
        sigv2: bool = True,
    ) -> str:
        clocked = {"clock": clock} if clock else {}
        verifier = SigV4Verifier(
            CREDENTIALS,
            region=REGION,
            sigv2=SigV2Verifier(CREDENTIALS, base_domains=base_domains, **clocked)
            if sigv2
            else None,
            **clocked,
        )
        frontend = S3Frontend(
            handlers,
            verifier,
            base_domains=base_domains,
            trusted_proxies=[ipaddress.ip_network(p) for p in trusted_proxies],
        )
        runner = web.AppRunner(build_app(frontend), **SERVER_SETTINGS)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"{'https' if ssl_context else 'http'}://{host}:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()
    _abort_leftover_transports()


def _abort_leftover_transports() -> None:
    """A server TLS transport whose peer vanished waits up to ssl_shutdown_timeout (30 s) for a
    close_notify that never comes; abort those instead of letting the GC warn about them at
    the end of the session. (Test-only: asyncio keeps its transports in a private table.)"""
    loop = asyncio.get_running_loop()
    for transport in list(getattr(loop, "_transports", {}).values()):
        if not transport.is_closing():
            transport.abort()


BotoFactory = Callable[..., Any]


@pytest.fixture
def boto(start_server: StartServer) -> Iterator[BotoFactory]:
    """boto3 S3 clients (path style, no retries). They are closed before the server stops (this
    fixture depends on ``start_server``, so it is torn down first), letting TLS end cleanly."""
    del start_server
    clients: list[Any] = []

    def make(
        url: str,
        *,
        cafile: str | None = None,
        access_key: str = AKID,
        secret: str = SECRET,
        region: str = REGION,
        **config: Any,
    ) -> Any:
        settings = {
            "s3": {"addressing_style": "path"},
            "retries": {"max_attempts": 1, "mode": "standard"},
            **config,
        }
        client = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret,
            region_name=region,
            verify=cafile,
            config=Config(**settings),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def send_raw(url: str, data: bytes) -> RawResponse:
    """Send exact bytes on a fresh connection; read one response (skipping 100 Continue)."""
    host, port = url.split("//")[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if status != 100:
                break
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return RawResponse(status, headers, body)
    finally:
        writer.close()
        await writer.wait_closed()


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    cafile: str


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1 (the gateway's own dev-mode helper)."""
    paths = ensure_self_signed(tmp_path_factory.mktemp("tls"))
    return Tls(server_context(paths), str(paths.cert))
