"""Uploads of files and parts: a leased URL per attempt, SHA-1 at the end, retries on fresh URLs.

An attempt leases an upload URL, streams the body through `Sha1TrailerStream`, and gives the URL
back only if B2 accepted the upload. A failed attempt is retried on another URL when the body can
be sent again from its first byte; a one-shot body that already started raises
`UploadNotReplayableError`.
If the body's source or the caller's `finalize()` raised, that exception propagates unchanged and
nothing is retried: the caller decided this upload must not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from gateway.b2.body import SHA1_AT_END, Finalize, Sha1TrailerStream, UploadBody
from gateway.b2.errors import B2Error, B2ProtocolError, UploadNotReplayableError
from gateway.b2.models import FileVersion, Part, UploadUrl
from gateway.b2.raw import RawB2
from gateway.b2.retry import Retrier
from gateway.b2.stats import ClientStats
from gateway.b2.upload_pool import UploadUrlPool

T = TypeVar("T")
FetchUrl = Callable[[str], Awaitable[UploadUrl]]


@dataclass
class _CallerAbortError(Exception):
    """Carries the caller's exception through the retrier untouched (it may itself be a B2Error)."""

    error: BaseException


class Uploader:
    def __init__(
        self,
        *,
        raw: Callable[[], RawB2],
        retrier: Retrier,
        stats: ClientStats,
        fetch_upload_url: FetchUrl,
        fetch_part_url: FetchUrl,
        max_idle_upload_urls: int,
    ) -> None:
        self._raw = raw
        self._retrier = retrier
        self._files = UploadUrlPool(fetch_upload_url, stats, max_idle_per_key=max_idle_upload_urls)
        self._parts = UploadUrlPool(fetch_part_url, stats, max_idle_per_key=max_idle_upload_urls)

    async def upload_file(
        self,
        bucket_id: str,
        file_name: str,
        body: UploadBody,
        *,
        content_type: str,
        file_info: Mapping[str, str],
        finalize: Finalize | None,
    ) -> FileVersion:
        async def send(url: UploadUrl, stream: Sha1TrailerStream) -> FileVersion:
            version = await self._raw().upload_file(
                url,
                file_name=file_name,
                content_type=content_type,
                body=stream,
                wire_length=stream.wire_length,
                content_sha1=SHA1_AT_END,
                file_info=file_info,
            )
            _check_digest(version.content_sha1, stream)
            return version

        return await self._upload(self._files, bucket_id, body, finalize, send)

    async def upload_part(
        self, file_id: str, part_number: int, body: UploadBody, *, finalize: Finalize | None
    ) -> Part:
        async def send(url: UploadUrl, stream: Sha1TrailerStream) -> Part:
            part = await self._raw().upload_part(
                url,
                part_number=part_number,
                body=stream,
                wire_length=stream.wire_length,
                content_sha1=SHA1_AT_END,
            )
            _check_digest(part.content_sha1, stream)
            return part

        return await self._upload(self._parts, file_id, body, finalize, send)

    async def prewarm_bucket(self, bucket_id: str, count: int) -> None:
        await self._files.prewarm(bucket_id, count)

    async def prewarm_large_file(self, file_id: str, count: int) -> None:
        await self._parts.prewarm(file_id, count)

    def forget(self, key: str) -> None:
        """Drop idle URLs of a bucket or large file that is gone."""
        self._files.forget(key)
        self._parts.forget(key)

    async def _upload(
        self,
        pool: UploadUrlPool,
        key: str,
        body: UploadBody,
        finalize: Finalize | None,
        send: Callable[[UploadUrl, Sha1TrailerStream], Awaitable[T]],
    ) -> T:
        sending = False

        async def attempt() -> T:
            nonlocal sending
            sending = False
            # Fetching a URL is an API call with its own retries; only the POST is retried here.
            async with pool.lease(key) as url:
                stream = Sha1TrailerStream(body, finalize)
                sending = True
                try:
                    return await send(url, stream)
                except B2Error as error:
                    if stream.caller_error is not None:
                        raise _CallerAbortError(stream.caller_error) from error
                    raise

        def retry_on(error: B2Error) -> bool:
            return sending and (error.retryable or error.reauthorize) and body.can_restart

        try:
            return await self._retrier.run(attempt, retry_on=retry_on)
        except _CallerAbortError as abort:
            raise abort.error from None
        except B2Error as error:
            if sending and (error.retryable or error.reauthorize) and not body.can_restart:
                raise UploadNotReplayableError(error) from error
            raise


def _check_digest(reported: str | None, stream: Sha1TrailerStream) -> None:
    # B2 checked our trailing digest; a different answer means a broken intermediary or server.
    if reported != stream.sha1_hex:
        raise B2ProtocolError(f"B2 reports SHA-1 {reported}, we sent {stream.sha1_hex}")
