"""A lean S3 client for the benchmark: SigV4 header signing over aiohttp, nothing else.

boto3 would dominate the small-object rows (its request pipeline costs more than the gateway),
so the benchmark signs requests itself with the gateway's own canonicalisation helpers. Bodies
are async iterators with a declared length, so a 1 GiB upload never sits in memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from gateway.s3.canonical import (
    ALGORITHM,
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    Scope,
    canonical_query,
    canonical_request,
    signature,
    signing_key,
    string_to_sign,
)

READ_CHUNK_BYTES = 1 << 20
_UPLOAD_ID = re.compile(r"<UploadId>([^<]+)</UploadId>")


class S3RequestError(RuntimeError):
    """The server answered with an unexpected status."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"


@dataclass(frozen=True)
class Body:
    """``length`` bytes from ``chunks``; ``sha256`` is the hex payload hash or None (unsigned)."""

    length: int
    chunks: AsyncIterator[bytes]
    sha256: str | None = None


class S3Client:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: str,
        creds: Credentials,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._session = session
        self._tls: ssl.SSLContext | bool = True if tls is None else tls
        self._endpoint = endpoint.rstrip("/")
        self._host = endpoint.split("://", 1)[1].rstrip("/")
        self._creds = creds

    def _signed_headers(
        self, method: str, path: str, query: str, payload_hash: str, extra: Mapping[str, str]
    ) -> dict[str, str]:
        now = dt.datetime.now(dt.UTC)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        scope = Scope(now.strftime("%Y%m%d"), self._creds.region, "s3")
        headers = {
            "host": self._host,
            "x-amz-content-sha256": payload_hash,
            "x-amz-date": amz_date,
            **{k.lower(): v for k, v in extra.items()},
        }
        signed = sorted(headers)
        raw = [(name, headers[name].encode()) for name in signed]
        canonical = canonical_request(
            method,
            path,
            canonical_query(query),
            raw,
            signed=signed,
            payload_hash=payload_hash,
        )
        text = string_to_sign(amz_date, scope, canonical)
        sig = signature(signing_key(self._creds.secret_access_key, scope), text)
        headers["authorization"] = (
            f"{ALGORITHM} Credential={self._creds.access_key_id}/{scope}, "
            f"SignedHeaders={';'.join(signed)}, Signature={sig}"
        )
        del headers["host"]  # aiohttp sends the same value itself
        return headers

    async def _request(
        self,
        method: str,
        bucket: str,
        key: str = "",
        *,
        query: str = "",
        body: Body | bytes | None = None,
        expect: int = 200,
    ) -> aiohttp.ClientResponse:
        path = f"/{bucket}" + (f"/{quote(key, safe='/~')}" if key else "")
        extra: dict[str, str] = {}
        data: object = None
        if isinstance(body, Body):
            payload_hash = body.sha256 or UNSIGNED_PAYLOAD
            extra["content-length"] = str(body.length)
            data = body.chunks
        elif body is not None:
            payload_hash = _sha256_hex(body)
            data = body
        else:
            payload_hash = EMPTY_SHA256
        headers = self._signed_headers(method, path, query, payload_hash, extra)
        url = self._endpoint + path + (f"?{query}" if query else "")
        response = await self._session.request(
            method,
            url,
            headers=headers,
            data=data,
            skip_auto_headers=("Content-Type",),
            ssl=self._tls,
        )
        if response.status != expect:
            text = await response.text()
            response.release()
            raise S3RequestError(f"{method} {path}?{query}: {response.status} {text[:300]}")
        return response

    async def put_object(self, bucket: str, key: str, body: Body | bytes) -> str:
        async with await self._request("PUT", bucket, key, body=body) as response:
            await response.read()
            return response.headers.get("ETag", "")

    async def get_object(self, bucket: str, key: str) -> int:
        """Read the whole body in chunks; the number of bytes received."""
        received = 0
        async with await self._request("GET", bucket, key) as response:
            async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
                received += len(chunk)
        return received

    async def head_object(self, bucket: str, key: str) -> int:
        async with await self._request("HEAD", bucket, key) as response:
            return int(response.headers.get("Content-Length", "0"))

    async def list_objects_v2(self, bucket: str, max_keys: int = 1000) -> bytes:
        query = f"list-type=2&max-keys={max_keys}"
        async with await self._request("GET", bucket, query=query) as response:
            return await response.read()

    async def create_multipart_upload(self, bucket: str, key: str) -> str:
        async with await self._request("POST", bucket, key, query="uploads=") as response:
            match = _UPLOAD_ID.search(await response.text())
        if match is None:
            raise S3RequestError("CreateMultipartUpload: no UploadId in the answer")
        return match.group(1)

    async def upload_part(
        self, bucket: str, key: str, upload_id: str, number: int, body: Body
    ) -> str:
        query = f"partNumber={number}&uploadId={quote(upload_id, safe='')}"
        async with await self._request("PUT", bucket, key, query=query, body=body) as response:
            await response.read()
            return response.headers.get("ETag", "")

    async def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, etags: list[str]
    ) -> None:
        parts = "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            for n, etag in enumerate(etags, start=1)
        )
        xml = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
        query = f"uploadId={quote(upload_id, safe='')}"
        async with await self._request("POST", bucket, key, query=query, body=xml) as response:
            text = await response.text()
        if "<Error>" in text:  # S3 may report a failed Complete inside a 200
            raise S3RequestError(f"CompleteMultipartUpload: {text[:300]}")


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
