"""A thin raw-HTTP B2 client for emulator tests: every request is visible, nothing is hidden."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from multidict import CIMultiDictProxy

from gateway.emulator.server import RunningEmulator

_names = itertools.count(1)


def unique_bucket_name() -> str:
    return f"test-bucket-{next(_names):06d}"


def basic(key_id: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{key}".encode()).decode()


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        return self.json().get("code") if self.body else None


class B2Raw:
    def __init__(self, session: aiohttp.ClientSession, emulator: RunningEmulator) -> None:
        self.session = session
        self.emulator = emulator
        self.url = emulator.url
        self.token = ""
        self.account_id = ""
        self.key_id = emulator.key_id
        self.key = emulator.key

    async def request(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Reply:
        async with self.session.request(method, url, headers=headers or {}, **kwargs) as resp:
            return Reply(resp.status, resp.headers, await resp.read())

    async def authorize(
        self, version: int = 4, key_id: str | None = None, key: str | None = None
    ) -> Any:
        self.key_id = key_id or self.key_id
        self.key = key or self.key
        reply = await self.request(
            "POST",
            f"{self.url}/b2api/v{version}/b2_authorize_account",
            headers={"Authorization": basic(self.key_id, self.key)},
            json={},
        )
        assert reply.status == 200, reply.body
        body = reply.json()
        self.token = body["authorizationToken"]
        self.account_id = body["accountId"]
        return body

    async def call(
        self,
        name: str,
        body: dict[str, Any] | None = None,
        *,
        version: int = 4,
        token: str | None = None,
        method: str = "POST",
    ) -> Reply:
        url = f"{self.url}/b2api/v{version}/{name}"
        headers = {} if token == "" else {"Authorization": token or self.token}
        if method == "POST":
            return await self.request("POST", url, headers=headers, json=body or {})
        params = {k: v if isinstance(v, str) else _query_value(v) for k, v in (body or {}).items()}
        return await self.request(method, url, headers=headers, params=params)

    async def ok(self, name: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        reply = await self.call(name, body, **kwargs)
        assert reply.status == 200, (reply.status, reply.body)
        return reply.json()

    async def create_bucket(self, name: str | None = None, bucket_type: str = "allPrivate") -> Any:
        return await self.ok(
            "b2_create_bucket",
            {
                "accountId": self.account_id,
                "bucketName": name or unique_bucket_name(),
                "bucketType": bucket_type,
            },
        )

    async def upload_url(self, bucket_id: str, version: int = 4) -> tuple[str, str]:
        body = await self.ok("b2_get_upload_url", {"bucketId": bucket_id}, version=version)
        return body["uploadUrl"], body["authorizationToken"]

    async def upload(
        self,
        bucket_id: str,
        name: str,
        data: bytes = b"hello",
        *,
        headers: dict[str, str] | None = None,
        target: tuple[str, str] | None = None,
    ) -> Reply:
        url, token = target or await self.upload_url(bucket_id)
        all_headers = {
            "Authorization": token,
            "X-Bz-File-Name": quote(name.encode()),
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": sha1_hex(data),
        }
        all_headers.update(headers or {})
        return await self.request("POST", url, headers=all_headers, data=io.BytesIO(data))

    async def uploaded(
        self, bucket_id: str, name: str, data: bytes = b"hello", **kwargs: Any
    ) -> Any:
        reply = await self.upload(bucket_id, name, data, **kwargs)
        assert reply.status == 200, reply.body
        return reply.json()

    def start_stalled_upload(
        self, target: tuple[str, str], name: str, data: bytes, release: asyncio.Event, sent: int
    ) -> asyncio.Task[Reply]:
        """Upload that sends ``sent`` bytes, then waits for ``release`` before the rest."""

        async def body() -> AsyncIterator[bytes]:
            yield data[:sent]
            await release.wait()
            yield data[sent:]

        url, token = target
        headers = {
            "Authorization": token,
            "X-Bz-File-Name": quote(name.encode()),
            "Content-Type": "application/octet-stream",
            "X-Bz-Content-Sha1": sha1_hex(data),
            "Content-Length": str(len(data)),
        }
        return asyncio.create_task(self.request("POST", url, headers=headers, data=body()))

    async def upload_count(self) -> int:
        counters = (await self.request("GET", f"{self.url}/_emulator/counters")).json()
        return int(counters.get("b2_upload_file", 0))

    async def download_by_name(
        self,
        bucket_name: str,
        name: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        auth: bool = True,
        params: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = {"Authorization": self.token} if auth else {}
        all_headers.update(headers or {})
        url = f"{self.url}/file/{bucket_name}/{quote(name.encode())}"
        return await self.request(method, url, headers=all_headers, params=params)


async def eventually(predicate: Callable[[], Awaitable[bool]], attempts: int = 1000) -> None:
    """Poll the server until ``predicate`` holds (used to line up concurrent requests)."""
    for _ in range(attempts):
        if await predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


def _query_value(value: Any) -> str:
    import json

    return json.dumps(value)
