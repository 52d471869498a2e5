"""Behind a reverse proxy: X-Forwarded-Host is honoured for signing and routing only from a
trusted peer; virtual-hosted buckets come from the (original) Host."""

from __future__ import annotations

from urllib.parse import unquote

import aiohttp

from gateway.s3 import errors
from tests.unit.s3.conftest import StartServer
from tests.unit.s3.signing import botocore_signed

ORIGINAL = "http://photos.s3.example.com/2026/a%20b.jpg"


def _forwarded_headers(url: str) -> dict[str, str]:
    """A request the client signed for ORIGINAL, as a proxy forwards it to ``url``."""
    signed = botocore_signed("GET", ORIGINAL)
    headers = {name: value.decode() for name, value in signed.headers if name != "host"}
    headers["Host"] = url.split("//")[1]
    headers["X-Forwarded-Host"] = "photos.s3.example.com"
    return headers


async def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/2026/a%20b.jpg", headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def test_forwarded_host_from_a_trusted_proxy_signs_and_routes(
    start_server: StartServer,
) -> None:
    url = await start_server(base_domains=("s3.example.com",), trusted_proxies=("127.0.0.1/32",))
    status, headers, _ = await _get(url, _forwarded_headers(url))
    assert status == 200
    assert headers["x-echo-bucket"] == "photos"
    assert unquote(headers["x-echo-key"]) == "2026/a b.jpg"


async def test_forwarded_host_from_an_untrusted_peer_is_ignored(start_server: StartServer) -> None:
    url = await start_server(base_domains=("s3.example.com",), trusted_proxies=("10.0.0.0/8",))
    status, _, body = await _get(url, _forwarded_headers(url))
    assert status == 403
    assert f"<Code>{errors.SignatureDoesNotMatch.code}</Code>".encode() in body
