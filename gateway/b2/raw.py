"""One coroutine per B2 native-API endpoint (v4), over a shared aiohttp client session.

Thin on purpose: no tokens are cached and nothing is retried here (that is `client.py`).
Every call reports `on_call(endpoint, status, seconds)`; status 0 means no HTTP answer.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import aiohttp
from yarl import URL

from gateway.b2 import _json
from gateway.b2._json import JsonObject
from gateway.b2.download import DownloadStream, download_info
from gateway.b2.encoding import b2_quote, file_url
from gateway.b2.errors import B2ConnectionError, error_from_response
from gateway.b2.models import (
    AccountAuthorization,
    Bucket,
    ByteRange,
    DownloadAuthorization,
    FileList,
    FileQuery,
    FileRef,
    FileVersion,
    Part,
    PartList,
    UploadUrl,
)
from gateway.b2.retry import Clock
from gateway.b2.stats import OnCall

API_VERSION = "v4"
_MAX_ERROR_BODY = 64 * 1024


def _drop_none(payload: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in payload.items() if v is not None}


def _info_headers(file_info: Mapping[str, str]) -> dict[str, str]:
    return {f"X-Bz-Info-{k}": b2_quote(v) for k, v in file_info.items()}


class RawB2:
    """The B2 endpoints. API calls run under the `auth` the caller passes (its current token)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        on_call: OnCall | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._session = session
        self._on_call = on_call
        self._clock = clock

    # -- plumbing ---------------------------------------------------------------------------------

    def _report(self, endpoint: str, status: int, started: float) -> None:
        if self._on_call is not None:
            self._on_call(endpoint, status, self._clock() - started)

    @asynccontextmanager
    async def _exchange(
        self,
        endpoint: str,
        method: str,
        url: str | URL,
        *,
        headers: Mapping[str, str],
        json_body: Mapping[str, object] | None = None,
        data: AsyncIterable[bytes] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One HTTP exchange: yields a 2xx response, raises the B2 error for anything else."""
        started = self._clock()
        status = 0
        try:
            async with self._session.request(
                method, url, headers=headers, json=json_body, data=data, params=params
            ) as response:
                status = response.status
                if status >= 300:
                    body = await response.content.read(_MAX_ERROR_BODY)
                    raise error_from_response(status, body, response.headers)
                yield response
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            sent = not isinstance(exc, aiohttp.ClientConnectorError)
            raise B2ConnectionError(
                f"{endpoint}: {type(exc).__name__}: {exc}", request_sent=sent
            ) from exc
        finally:
            self._report(endpoint, status, started)

    async def _call(
        self, auth: AccountAuthorization, endpoint: str, payload: Mapping[str, object]
    ) -> JsonObject:
        url = f"{auth.api_url.rstrip('/')}/b2api/{API_VERSION}/{endpoint}"
        headers = {"Authorization": auth.authorization_token}
        async with self._exchange(
            endpoint, "POST", url, headers=headers, json_body=_drop_none(payload)
        ) as response:
            return _json.parse_object(await response.read())

    # -- account and buckets ----------------------------------------------------------------------

    async def authorize_account(
        self, realm_url: str, key_id: str, key: str
    ) -> AccountAuthorization:
        endpoint = "b2_authorize_account"
        url = f"{realm_url.rstrip('/')}/b2api/{API_VERSION}/{endpoint}"
        basic = base64.b64encode(f"{key_id}:{key}".encode()).decode("ascii")
        headers = {"Authorization": f"Basic {basic}"}
        async with self._exchange(endpoint, "GET", url, headers=headers) as resp:
            return AccountAuthorization.from_json(_json.parse_object(await resp.read()))

    async def list_buckets(
        self,
        auth: AccountAuthorization,
        *,
        bucket_id: str | None = None,
        bucket_name: str | None = None,
    ) -> tuple[Bucket, ...]:
        payload = {
            "accountId": auth.account_id,
            "bucketId": bucket_id,
            "bucketName": bucket_name,
            "bucketTypes": ["all"],
        }
        result = await self._call(auth, "b2_list_buckets", payload)
        return tuple(Bucket.from_json(b) for b in _json.objects(result, "buckets"))

    async def create_bucket(
        self,
        auth: AccountAuthorization,
        *,
        bucket_name: str,
        bucket_type: str = "allPrivate",
        bucket_info: Mapping[str, str] | None = None,
    ) -> Bucket:
        payload = {
            "accountId": auth.account_id,
            "bucketName": bucket_name,
            "bucketType": bucket_type,
            "bucketInfo": None if bucket_info is None else dict(bucket_info),
        }
        return Bucket.from_json(await self._call(auth, "b2_create_bucket", payload))

    async def update_bucket(
        self,
        auth: AccountAuthorization,
        *,
        bucket_id: str,
        bucket_type: str | None = None,
        bucket_info: Mapping[str, str] | None = None,
        if_revision_is: int | None = None,
    ) -> Bucket:
        payload = {
            "accountId": auth.account_id,
            "bucketId": bucket_id,
            "bucketType": bucket_type,
            "bucketInfo": None if bucket_info is None else dict(bucket_info),
            "ifRevisionIs": if_revision_is,
        }
        return Bucket.from_json(await self._call(auth, "b2_update_bucket", payload))

    async def delete_bucket(self, auth: AccountAuthorization, *, bucket_id: str) -> Bucket:
        payload = {"accountId": auth.account_id, "bucketId": bucket_id}
        return Bucket.from_json(await self._call(auth, "b2_delete_bucket", payload))

    # -- simple and large uploads -----------------------------------------------------------------

    async def get_upload_url(self, auth: AccountAuthorization, *, bucket_id: str) -> UploadUrl:
        result = await self._call(auth, "b2_get_upload_url", {"bucketId": bucket_id})
        return UploadUrl.from_json(result, "bucketId")

    async def get_upload_part_url(self, auth: AccountAuthorization, *, file_id: str) -> UploadUrl:
        result = await self._call(auth, "b2_get_upload_part_url", {"fileId": file_id})
        return UploadUrl.from_json(result, "fileId")

    async def upload_file(
        self,
        target: UploadUrl,
        *,
        file_name: str,
        content_type: str,
        body: AsyncIterable[bytes],
        wire_length: int,
        content_sha1: str,
        file_info: Mapping[str, str],
    ) -> FileVersion:
        """POST the body to an upload URL. `wire_length` includes a trailing digest if any."""
        headers = {
            "X-Bz-File-Name": b2_quote(file_name),
            "Content-Type": content_type,
            **_info_headers(file_info),
        }
        result = await self._post_body(
            "b2_upload_file", target, headers, body, wire_length, content_sha1
        )
        return FileVersion.from_json(result)

    async def upload_part(
        self,
        target: UploadUrl,
        *,
        part_number: int,
        body: AsyncIterable[bytes],
        wire_length: int,
        content_sha1: str,
    ) -> Part:
        headers = {"X-Bz-Part-Number": str(part_number)}
        result = await self._post_body(
            "b2_upload_part", target, headers, body, wire_length, content_sha1
        )
        return Part.from_json(result)

    async def _post_body(  # noqa: PLR0917 - private plumbing of the two upload calls
        self,
        endpoint: str,
        target: UploadUrl,
        headers: Mapping[str, str],
        body: AsyncIterable[bytes],
        wire_length: int,
        content_sha1: str,
    ) -> JsonObject:
        all_headers = {
            **headers,
            "Authorization": target.authorization_token,
            # B2 refuses chunked transfer; an explicit length also stops aiohttp from chunking.
            "Content-Length": str(wire_length),
            "X-Bz-Content-Sha1": content_sha1,
        }
        async with self._exchange(
            endpoint, "POST", target.upload_url, headers=all_headers, data=body
        ) as response:
            return _json.parse_object(await response.read())

    async def start_large_file(
        self,
        auth: AccountAuthorization,
        *,
        bucket_id: str,
        file_name: str,
        content_type: str,
        file_info: Mapping[str, str],
    ) -> FileVersion:
        payload = {
            "bucketId": bucket_id,
            "fileName": file_name,
            "contentType": content_type,
            "fileInfo": dict(file_info),
        }
        return FileVersion.from_json(await self._call(auth, "b2_start_large_file", payload))

    async def finish_large_file(
        self, auth: AccountAuthorization, *, file_id: str, part_sha1s: tuple[str, ...]
    ) -> FileVersion:
        payload = {"fileId": file_id, "partSha1Array": list(part_sha1s)}
        result = await self._call(auth, "b2_finish_large_file", payload)
        return FileVersion.from_json(result)

    async def cancel_large_file(self, auth: AccountAuthorization, *, file_id: str) -> FileRef:
        result = await self._call(auth, "b2_cancel_large_file", {"fileId": file_id})
        return FileRef.from_json(result)

    async def list_parts(
        self,
        auth: AccountAuthorization,
        *,
        file_id: str,
        start_part_number: int | None = None,
        max_part_count: int | None = None,
    ) -> PartList:
        payload = {
            "fileId": file_id,
            "startPartNumber": start_part_number,
            "maxPartCount": max_part_count,
        }
        return PartList.from_json(await self._call(auth, "b2_list_parts", payload))

    async def list_unfinished_large_files(
        self,
        auth: AccountAuthorization,
        *,
        bucket_id: str,
        name_prefix: str | None = None,
        start_file_id: str | None = None,
        max_file_count: int | None = None,
    ) -> FileList:
        payload = {
            "bucketId": bucket_id,
            "namePrefix": name_prefix,
            "startFileId": start_file_id,
            "maxFileCount": max_file_count,
        }
        result = await self._call(auth, "b2_list_unfinished_large_files", payload)
        return FileList.from_json(result)

    # -- server-side copy -------------------------------------------------------------------------

    async def copy_file(
        self,
        auth: AccountAuthorization,
        *,
        source_file_id: str,
        file_name: str,
        destination_bucket_id: str | None = None,
        byte_range: ByteRange | None = None,
        content_type: str | None = None,
        file_info: Mapping[str, str] | None = None,
    ) -> FileVersion:
        """COPY keeps the source's metadata; passing `content_type` switches to REPLACE."""
        replace = content_type is not None
        payload = {
            "sourceFileId": source_file_id,
            "fileName": file_name,
            "destinationBucketId": destination_bucket_id,
            "range": None if byte_range is None else byte_range.header(),
            "metadataDirective": "REPLACE" if replace else "COPY",
            "contentType": content_type,
            "fileInfo": dict(file_info or {}) if replace else None,
        }
        return FileVersion.from_json(await self._call(auth, "b2_copy_file", payload))

    async def copy_part(
        self,
        auth: AccountAuthorization,
        *,
        source_file_id: str,
        large_file_id: str,
        part_number: int,
        byte_range: ByteRange | None = None,
    ) -> Part:
        payload = {
            "sourceFileId": source_file_id,
            "largeFileId": large_file_id,
            "partNumber": part_number,
            "range": None if byte_range is None else byte_range.header(),
        }
        return Part.from_json(await self._call(auth, "b2_copy_part", payload))

    # -- file metadata, listing, hiding, deleting -------------------------------------------------

    async def get_file_info(self, auth: AccountAuthorization, *, file_id: str) -> FileVersion:
        result = await self._call(auth, "b2_get_file_info", {"fileId": file_id})
        return FileVersion.from_json(result)

    async def list_file_names(
        self, auth: AccountAuthorization, *, bucket_id: str, query: FileQuery
    ) -> FileList:
        """The newest visible version of each name (folders with a delimiter)."""
        if query.start_file_id is not None:
            raise ValueError("b2_list_file_names takes no start_file_id")
        payload = query.payload(bucket_id)
        return FileList.from_json(await self._call(auth, "b2_list_file_names", payload))

    async def list_file_versions(
        self, auth: AccountAuthorization, *, bucket_id: str, query: FileQuery
    ) -> FileList:
        """Every version: uploads, hide markers and unfinished large files."""
        payload = query.payload(bucket_id)
        return FileList.from_json(await self._call(auth, "b2_list_file_versions", payload))

    async def hide_file(
        self, auth: AccountAuthorization, *, bucket_id: str, file_name: str
    ) -> FileVersion:
        payload = {"bucketId": bucket_id, "fileName": file_name}
        return FileVersion.from_json(await self._call(auth, "b2_hide_file", payload))

    async def delete_file_version(
        self,
        auth: AccountAuthorization,
        *,
        file_name: str,
        file_id: str,
        bypass_governance: bool = False,
    ) -> FileRef:
        payload = {
            "fileName": file_name,
            "fileId": file_id,
            "bypassGovernance": True if bypass_governance else None,
        }
        result = await self._call(auth, "b2_delete_file_version", payload)
        return FileRef.from_json(result)

    async def get_download_authorization(
        self,
        auth: AccountAuthorization,
        *,
        bucket_id: str,
        file_name_prefix: str,
        valid_duration_seconds: int,
    ) -> DownloadAuthorization:
        payload = {
            "bucketId": bucket_id,
            "fileNamePrefix": file_name_prefix,
            "validDurationInSeconds": valid_duration_seconds,
        }
        result = await self._call(auth, "b2_get_download_authorization", payload)
        return DownloadAuthorization.from_json(result)

    # -- downloads --------------------------------------------------------------------------------

    # The two downloads hand out `_download`'s context manager itself: a wrapping generator
    # would add its cost to every GET and HEAD.

    def download_file_by_name(
        self,
        download_url: str,
        token: str | None,
        *,
        bucket_name: str,
        file_name: str,
        byte_range: ByteRange | None = None,
        head: bool = False,
    ) -> AbstractAsyncContextManager[DownloadStream]:
        url = file_url(download_url, bucket_name, file_name)
        return self._download("b2_download_file_by_name", url, token, byte_range, head, None)

    def download_file_by_id(
        self,
        download_url: str,
        token: str | None,
        *,
        file_id: str,
        byte_range: ByteRange | None = None,
        head: bool = False,
    ) -> AbstractAsyncContextManager[DownloadStream]:
        endpoint = "b2_download_file_by_id"
        url = f"{download_url.rstrip('/')}/b2api/{API_VERSION}/{endpoint}"
        return self._download(endpoint, url, token, byte_range, head, {"fileId": file_id})

    @asynccontextmanager
    async def _download(  # noqa: PLR0917 - private plumbing shared by the two public downloads
        self,
        endpoint: str,
        url: str | URL,
        token: str | None,
        byte_range: ByteRange | None,
        head: bool,
        params: Mapping[str, str] | None,
    ) -> AsyncIterator[DownloadStream]:
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = token
        if byte_range is not None:
            headers["Range"] = byte_range.header()
        async with self._exchange(
            endpoint, "HEAD" if head else "GET", url, headers=headers, params=params
        ) as response:
            yield DownloadStream(download_info(response.status, response.headers), response)
