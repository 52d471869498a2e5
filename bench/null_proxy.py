"""The null proxy: the least an S3-to-B2 hop can do, as the benchmark's honest upper bound.

It checks no signature, hashes nothing it need not, renders no XML worth the name: it forwards
PUT/GET/HEAD bytes to the emulator's upload and download calls, ListObjectsV2 to
``b2_list_file_names`` (the JSON goes back as is), and multipart to the large-file calls. The one
digest it computes is each part's SHA-1, because B2 refuses parts without one.

Run: ``python -m bench.null_proxy REALM KEY_ID KEY CERT KEY_FILE`` — prints ``NULL_PROXY_URL=...``
and ``NULL_PROXY_URL_HTTPS=...`` (the same app on HTTPS with that certificate).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import signal
import ssl
import sys
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

CHUNK = 1 << 20
PASSED_HEADERS = ("Content-Length", "Content-Type", "ETag", "Last-Modified")


class B2Upstream:
    """One account authorisation, bucket ids by name, and idle upload URLs for reuse."""

    def __init__(self, realm: str, key_id: str, key: str) -> None:
        self.realm, self.key_id, self.key = realm, key_id, key
        self.session = aiohttp.ClientSession(auto_decompress=False)
        self.api = self.token = ""
        self.bucket_ids: dict[str, str] = {}
        self.idle_urls: dict[str, list[tuple[str, str]]] = {}
        self.part_sha1s: dict[str, dict[int, str]] = {}

    async def authorize(self) -> None:
        basic = base64.b64encode(f"{self.key_id}:{self.key}".encode()).decode()
        url = f"{self.realm}/b2api/v2/b2_authorize_account"
        async with self.session.get(url, headers={"Authorization": f"Basic {basic}"}) as r:
            body = await r.json()
        self.api, self.token = body["apiUrl"], body["authorizationToken"]

    async def call(self, name: str, **params: Any) -> Any:
        url = f"{self.api}/b2api/v2/{name}"
        async with self.session.post(url, json=params, headers={"Authorization": self.token}) as r:
            if r.status != 200:
                raise web.HTTPBadGateway(text=await r.text())
            return await r.json()

    async def bucket_id(self, name: str) -> str:
        if name not in self.bucket_ids:
            found = await self.call("b2_list_buckets", accountId=self.key_id, bucketName=name)
            self.bucket_ids[name] = found["buckets"][0]["bucketId"]
        return self.bucket_ids[name]

    async def upload_url(self, bucket_id: str) -> tuple[str, str]:
        idle = self.idle_urls.setdefault(bucket_id, [])
        if idle:
            return idle.pop()
        got = await self.call("b2_get_upload_url", bucketId=bucket_id)
        return got["uploadUrl"], got["authorizationToken"]


UPSTREAM = web.AppKey("upstream", B2Upstream)


async def _sha1_at_end(source: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    digest = hashlib.sha1()
    async for chunk in source.iter_chunked(CHUNK):
        digest.update(chunk)
        yield chunk
    yield digest.hexdigest().encode()


async def put(request: web.Request) -> web.StreamResponse:
    b2 = request.app[UPSTREAM]
    bucket, key = request.match_info["bucket"], request.match_info["key"]
    if "uploadId" in request.query:
        return await _upload_part(b2, request)
    bucket_id = await b2.bucket_id(bucket)
    url, token = await b2.upload_url(bucket_id)
    headers = {
        "Authorization": token,
        "X-Bz-File-Name": quote(key),
        "Content-Type": "b2/x-auto",
        "Content-Length": str(request.content_length),
        "X-Bz-Content-Sha1": "do_not_verify",
    }
    async with b2.session.post(url, data=request.content, headers=headers) as r:
        body = await r.json()
    if r.status != 200:
        raise web.HTTPBadGateway(text=str(body))
    b2.idle_urls[bucket_id].append((url, token))
    return web.Response(headers={"ETag": f'"{body["contentMd5"]}"'})


async def _upload_part(b2: B2Upstream, request: web.Request) -> web.StreamResponse:
    file_id, number = request.query["uploadId"], int(request.query["partNumber"])
    got = await b2.call("b2_get_upload_part_url", fileId=file_id)
    headers = {
        "Authorization": got["authorizationToken"],
        "X-Bz-Part-Number": str(number),
        "Content-Length": str((request.content_length or 0) + 40),
        "X-Bz-Content-Sha1": "hex_digits_at_end",
    }
    data = _sha1_at_end(request.content)
    async with b2.session.post(got["uploadUrl"], data=data, headers=headers) as r:
        body = await r.json()
    if r.status != 200:
        raise web.HTTPBadGateway(text=str(body))
    b2.part_sha1s.setdefault(file_id, {})[number] = body["contentSha1"]
    return web.Response(headers={"ETag": f'"{body["contentSha1"]}"'})


async def post(request: web.Request) -> web.StreamResponse:
    b2 = request.app[UPSTREAM]
    if "uploads" in request.query:
        bucket_id = await b2.bucket_id(request.match_info["bucket"])
        started = await b2.call(
            "b2_start_large_file",
            bucketId=bucket_id,
            fileName=request.match_info["key"],
            contentType="b2/x-auto",
        )
        return web.Response(text=f"<UploadId>{started['fileId']}</UploadId>")
    file_id = request.query["uploadId"]
    await request.read()
    sha1s = b2.part_sha1s.pop(file_id)
    await b2.call(
        "b2_finish_large_file", fileId=file_id, partSha1Array=[sha1s[n] for n in sorted(sha1s)]
    )
    return web.Response(text="<CompleteMultipartUploadResult/>")


async def get_or_head(request: web.Request) -> web.StreamResponse:
    b2 = request.app[UPSTREAM]
    url = f"{b2.api}/file/{request.match_info['bucket']}/{quote(request.match_info['key'])}"
    async with b2.session.request(
        request.method, url, headers={"Authorization": b2.token}
    ) as upstream:
        response = web.StreamResponse(status=upstream.status)
        for name in PASSED_HEADERS:
            if name in upstream.headers:
                response.headers[name] = upstream.headers[name]
        await response.prepare(request)
        if request.method == "GET":
            async for chunk in upstream.content.iter_chunked(CHUNK):
                await response.write(chunk)
        await response.write_eof()
    return response


async def list_objects(request: web.Request) -> web.StreamResponse:
    b2 = request.app[UPSTREAM]
    bucket_id = await b2.bucket_id(request.match_info["bucket"])
    count = int(request.query.get("max-keys", "1000"))
    listed = await b2.call("b2_list_file_names", bucketId=bucket_id, maxFileCount=count)
    return web.json_response(listed)


def build_app(upstream: B2Upstream) -> web.Application:
    app = web.Application(client_max_size=1 << 20)
    app[UPSTREAM] = upstream
    app.router.add_put("/{bucket}/{key:.+}", put)
    app.router.add_post("/{bucket}/{key:.+}", post)
    app.router.add_get("/{bucket}/{key:.+}", get_or_head)  # aiohttp adds HEAD
    app.router.add_get("/{bucket}", list_objects)
    return app


async def _main(realm: str, key_id: str, key: str, cert: str, key_file: str) -> None:
    upstream = B2Upstream(realm, key_id, key)
    await upstream.authorize()
    runner = web.AppRunner(build_app(upstream), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key_file)
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    port, tls_port = (address[1] for address in runner.addresses)
    sys.stdout.write(f"NULL_PROXY_URL=http://127.0.0.1:{port}\n")
    sys.stdout.write(f"NULL_PROXY_URL_HTTPS=https://127.0.0.1:{tls_port}\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await upstream.session.close()


if __name__ == "__main__":
    asyncio.run(_main(*sys.argv[1:6]))
