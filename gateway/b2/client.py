"""`B2Client`: the one object the translation layer talks to.

It composes the retry funnel and account token (`session.py`), uploads on pooled URLs
(`uploader.py`) and a bucket name → id cache (dropped when B2 says `bad_bucket_id`) over the thin
endpoint layer (`raw.py`). Uploads are retried on a fresh upload URL while the body can be sent
again from its first byte; otherwise they raise the retryable `UploadNotReplayableError`.
Downloads retry until the headers arrive, and resume by file id if the body breaks midway.
"""

from __future__ import annotations

import asyncio
import random as _random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import Self, TypeVar

import aiohttp

from gateway.b2.body import Finalize, UploadBody
from gateway.b2.download import DownloadStream, Resume
from gateway.b2.errors import BucketIdNotFoundError
from gateway.b2.models import (
    AccountAuthorization,
    Bucket,
    ByteRange,
    DownloadAuthorization,
    DownloadInfo,
    FileList,
    FileQuery,
    FileRef,
    FileVersion,
    Part,
    PartList,
    UploadUrl,
)
from gateway.b2.raw import RawB2
from gateway.b2.retry import Clock, Random, RetryPolicy, Sleep
from gateway.b2.session import DEFAULT_TOKEN_REFRESH_AFTER, B2Session, Call
from gateway.b2.stats import ClientStatsSnapshot, OnCall
from gateway.b2.uploader import Uploader

T = TypeVar("T")
EVERYTHING = FileQuery()  # from the first name, B2's default page size


class B2Client:
    """An async B2 native-API client. Use as `async with B2Client(realm, key_id, key) as b2:`."""

    def __init__(
        self,
        realm_url: str,
        key_id: str,
        key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        random: Random = _random.random,
        retry_policy: RetryPolicy | None = None,
        on_call: OnCall | None = None,
        token_refresh_after: float = DEFAULT_TOKEN_REFRESH_AFTER,
        max_idle_upload_urls: int = 16,
    ) -> None:
        """`session`, if given, stays the caller's (and must have `auto_decompress=False`);
        `clock` is monotonic seconds; `on_call(endpoint, status, seconds)` sees every HTTP call."""
        self._session = B2Session(
            realm_url,
            key_id,
            key,
            session=session,
            clock=clock,
            sleep=sleep,
            random=random,
            retry_policy=retry_policy,
            on_call=on_call,
            token_refresh_after=token_refresh_after,
        )
        self._buckets: dict[str, Bucket] = {}
        self._bucket_lookups: dict[str, asyncio.Future[Bucket | None]] = {}
        self._uploads = Uploader(
            raw=lambda: self._session.raw,
            retrier=self._session.retrier,
            stats=self._session.stats,
            fetch_upload_url=self._fetch_upload_url,
            fetch_part_url=self._fetch_part_url,
            max_idle_upload_urls=max_idle_upload_urls,
        )

    # -- lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Start the HTTP session and authorise (bad keys fail here, as `UnauthorizedError`)."""
        await self._session.open()

    async def close(self) -> None:
        await self._session.close()

    @property
    def raw(self) -> RawB2:
        """The endpoint layer, for calls this facade does not wrap."""
        return self._session.raw

    def stats(self) -> ClientStatsSnapshot:
        """Counters for the gateway's metrics: authorisations, URL pool use, retries by cause."""
        return self._session.stats.snapshot()

    async def account(self) -> AccountAuthorization:
        """The current authorisation (api/download URLs, part sizes, key restrictions)."""
        return await self._session.account()

    async def call(self, call: Call[T], *, idempotent: bool, bucket_id: str | None = None) -> T:
        """Run `call(authorization)` through the retry funnel (see `session.py`)."""
        try:
            return await self._session.call(call, idempotent=idempotent)
        except BucketIdNotFoundError:
            if bucket_id is not None:
                self.forget_bucket_id(bucket_id)
            raise

    # -- buckets ----------------------------------------------------------------------------------

    async def list_buckets(self) -> tuple[Bucket, ...]:
        buckets = await self.call(
            lambda a: self.raw.list_buckets(a),  # noqa: PLW0108 - self.raw is bound late
            idempotent=True,
        )
        self._buckets = {b.bucket_name: b for b in buckets}
        return buckets

    async def get_bucket(self, bucket_name: str) -> Bucket | None:
        """The bucket called `bucket_name` (cached by name until B2 says its id is gone).

        Concurrent misses for one name share a single `b2_list_buckets`: a burst of first
        requests costs one call. Only a found bucket is kept; an absent bucket or a failure
        reaches every caller waiting at the time, and the next miss asks B2 again."""
        cached = self._buckets.get(bucket_name)
        if cached is not None:
            return cached
        lookup = self._bucket_lookups.get(bucket_name)
        if lookup is None:
            lookup = asyncio.ensure_future(self._look_up_bucket(bucket_name))
            self._bucket_lookups[bucket_name] = lookup
            lookup.add_done_callback(lambda done: self._lookup_done(bucket_name, done))
        # A caller that gives up (its client went away) must not cancel the others' lookup.
        return await asyncio.shield(lookup)

    async def _look_up_bucket(self, bucket_name: str) -> Bucket | None:
        found = await self.call(
            lambda a: self.raw.list_buckets(a, bucket_name=bucket_name),
            idempotent=True,
        )
        for bucket in found:
            if bucket.bucket_name == bucket_name:
                self._buckets[bucket_name] = bucket
                return bucket
        return None

    def _lookup_done(self, bucket_name: str, lookup: asyncio.Future[Bucket | None]) -> None:
        if self._bucket_lookups.get(bucket_name) is lookup:
            del self._bucket_lookups[bucket_name]
        if not lookup.cancelled():
            lookup.exception()  # retrieved: when every waiter left, asyncio need not warn

    def forget_bucket_id(self, bucket_id: str) -> None:
        """Drop what we cached about a bucket B2 no longer knows."""
        self._buckets = {n: b for n, b in self._buckets.items() if b.bucket_id != bucket_id}
        self._uploads.forget(bucket_id)

    async def create_bucket(
        self,
        bucket_name: str,
        *,
        bucket_type: str = "allPrivate",
        bucket_info: Mapping[str, str] | None = None,
    ) -> Bucket:
        bucket = await self.call(
            lambda a: self.raw.create_bucket(
                a,
                bucket_name=bucket_name,
                bucket_type=bucket_type,
                bucket_info=bucket_info,
            ),
            idempotent=False,
        )
        self._buckets[bucket.bucket_name] = bucket
        return bucket

    async def update_bucket(
        self,
        bucket_id: str,
        *,
        bucket_type: str | None = None,
        bucket_info: Mapping[str, str] | None = None,
        if_revision_is: int | None = None,
    ) -> Bucket:
        bucket = await self.call(
            lambda a: self.raw.update_bucket(
                a,
                bucket_id=bucket_id,
                bucket_type=bucket_type,
                bucket_info=bucket_info,
                if_revision_is=if_revision_is,
            ),
            idempotent=False,
            bucket_id=bucket_id,
        )
        self._buckets[bucket.bucket_name] = bucket
        return bucket

    async def delete_bucket(self, bucket_id: str) -> Bucket:
        try:
            return await self.call(
                lambda a: self.raw.delete_bucket(a, bucket_id=bucket_id),
                idempotent=False,
                bucket_id=bucket_id,
            )
        finally:
            self.forget_bucket_id(bucket_id)

    # -- uploads (details in uploader.py) ---------------------------------------------------------

    async def upload_file(
        self,
        bucket_id: str,
        file_name: str,
        body: UploadBody | bytes,
        *,
        content_type: str = "b2/x-auto",
        file_info: Mapping[str, str] | None = None,
        finalize: Finalize | None = None,
    ) -> FileVersion:
        """Stream `body` to a new version of `file_name` (SHA-1 computed in-stream, sent at the
        end). `finalize()` runs after the last data byte; if it raises, B2 keeps nothing and the
        caller's exception propagates."""
        return await self._uploads.upload_file(
            bucket_id,
            file_name,
            body if isinstance(body, UploadBody) else UploadBody.from_bytes(body),
            content_type=content_type,
            file_info=file_info or {},
            finalize=finalize,
        )

    async def upload_part(
        self,
        file_id: str,
        part_number: int,
        body: UploadBody | bytes,
        *,
        finalize: Finalize | None = None,
    ) -> Part:
        """Upload part `part_number` of an unfinished large file (same body rules as files)."""
        return await self._uploads.upload_part(
            file_id,
            part_number,
            body if isinstance(body, UploadBody) else UploadBody.from_bytes(body),
            finalize=finalize,
        )

    async def _fetch_upload_url(self, bucket_id: str) -> UploadUrl:
        return await self.call(
            lambda a: self.raw.get_upload_url(a, bucket_id=bucket_id),
            idempotent=True,
            bucket_id=bucket_id,
        )

    async def _fetch_part_url(self, file_id: str) -> UploadUrl:
        return await self.call(
            lambda a: self.raw.get_upload_part_url(a, file_id=file_id),
            idempotent=True,
        )

    async def prewarm_upload_urls(self, bucket_id: str, count: int) -> None:
        await self._uploads.prewarm_bucket(bucket_id, count)

    async def prewarm_part_urls(self, file_id: str, count: int) -> None:
        await self._uploads.prewarm_large_file(file_id, count)

    # -- large files ------------------------------------------------------------------------------

    async def start_large_file(
        self,
        bucket_id: str,
        file_name: str,
        *,
        content_type: str = "b2/x-auto",
        file_info: Mapping[str, str] | None = None,
    ) -> FileVersion:
        return await self.call(
            lambda a: self.raw.start_large_file(
                a,
                bucket_id=bucket_id,
                file_name=file_name,
                content_type=content_type,
                file_info=file_info or {},
            ),
            idempotent=False,
            bucket_id=bucket_id,
        )

    async def finish_large_file(self, file_id: str, part_sha1s: tuple[str, ...]) -> FileVersion:
        try:
            return await self.call(
                lambda a: self.raw.finish_large_file(a, file_id=file_id, part_sha1s=part_sha1s),
                idempotent=False,
            )
        finally:
            self._uploads.forget(file_id)

    async def cancel_large_file(self, file_id: str) -> FileRef:
        try:
            return await self.call(
                lambda a: self.raw.cancel_large_file(a, file_id=file_id),
                idempotent=False,
            )
        finally:
            self._uploads.forget(file_id)

    async def list_parts(
        self,
        file_id: str,
        *,
        start_part_number: int | None = None,
        max_part_count: int | None = None,
    ) -> PartList:
        return await self.call(
            lambda a: self.raw.list_parts(
                a,
                file_id=file_id,
                start_part_number=start_part_number,
                max_part_count=max_part_count,
            ),
            idempotent=True,
        )

    async def list_unfinished_large_files(
        self,
        bucket_id: str,
        *,
        name_prefix: str | None = None,
        start_file_id: str | None = None,
        max_file_count: int | None = None,
    ) -> FileList:
        return await self.call(
            lambda a: self.raw.list_unfinished_large_files(
                a,
                bucket_id=bucket_id,
                name_prefix=name_prefix,
                start_file_id=start_file_id,
                max_file_count=max_file_count,
            ),
            idempotent=True,
            bucket_id=bucket_id,
        )

    # -- copies -----------------------------------------------------------------------------------

    async def copy_file(
        self,
        source_file_id: str,
        file_name: str,
        *,
        destination_bucket_id: str | None = None,
        byte_range: ByteRange | None = None,
        content_type: str | None = None,
        file_info: Mapping[str, str] | None = None,
    ) -> FileVersion:
        """Server-side copy. Metadata is copied unless `content_type` is given (then REPLACE)."""
        return await self.call(
            lambda a: self.raw.copy_file(
                a,
                source_file_id=source_file_id,
                file_name=file_name,
                destination_bucket_id=destination_bucket_id,
                byte_range=byte_range,
                content_type=content_type,
                file_info=file_info,
            ),
            idempotent=False,
            bucket_id=destination_bucket_id,
        )

    async def copy_part(
        self,
        source_file_id: str,
        large_file_id: str,
        part_number: int,
        *,
        byte_range: ByteRange | None = None,
    ) -> Part:
        # Repeating a part copy rewrites the same part with the same bytes: idempotent.
        return await self.call(
            lambda a: self.raw.copy_part(
                a,
                source_file_id=source_file_id,
                large_file_id=large_file_id,
                part_number=part_number,
                byte_range=byte_range,
            ),
            idempotent=True,
        )

    # -- metadata, listing, hiding, deleting ------------------------------------------------------

    async def get_file_info(self, file_id: str) -> FileVersion:
        return await self.call(
            lambda a: self.raw.get_file_info(a, file_id=file_id),
            idempotent=True,
        )

    async def list_file_names(self, bucket_id: str, query: FileQuery = EVERYTHING) -> FileList:
        return await self.call(
            lambda a: self.raw.list_file_names(a, bucket_id=bucket_id, query=query),
            idempotent=True,
            bucket_id=bucket_id,
        )

    async def list_file_versions(self, bucket_id: str, query: FileQuery = EVERYTHING) -> FileList:
        return await self.call(
            lambda a: self.raw.list_file_versions(a, bucket_id=bucket_id, query=query),
            idempotent=True,
            bucket_id=bucket_id,
        )

    async def hide_file(self, bucket_id: str, file_name: str) -> FileVersion:
        return await self.call(
            lambda a: self.raw.hide_file(a, bucket_id=bucket_id, file_name=file_name),
            idempotent=False,
            bucket_id=bucket_id,
        )

    async def delete_file_version(
        self, file_name: str, file_id: str, *, bypass_governance: bool = False
    ) -> FileRef:
        return await self.call(
            lambda a: self.raw.delete_file_version(
                a,
                file_name=file_name,
                file_id=file_id,
                bypass_governance=bypass_governance,
            ),
            idempotent=False,
        )

    async def get_download_authorization(
        self, bucket_id: str, file_name_prefix: str, valid_duration_seconds: int
    ) -> DownloadAuthorization:
        return await self.call(
            lambda a: self.raw.get_download_authorization(
                a,
                bucket_id=bucket_id,
                file_name_prefix=file_name_prefix,
                valid_duration_seconds=valid_duration_seconds,
            ),
            idempotent=True,
            bucket_id=bucket_id,
        )

    # -- downloads --------------------------------------------------------------------------------

    def download_by_name(
        self, bucket_name: str, file_name: str, *, byte_range: ByteRange | None = None
    ) -> AbstractAsyncContextManager[DownloadStream]:
        """`async with b2.download_by_name(...) as d:` then `async for chunk in d.iter_chunks()`."""
        return self._download_by_name(bucket_name, file_name, byte_range, head=False)

    def download_by_id(
        self, file_id: str, *, byte_range: ByteRange | None = None
    ) -> AbstractAsyncContextManager[DownloadStream]:
        return self._download_by_id(file_id, byte_range, head=False)

    async def head_by_name(self, bucket_name: str, file_name: str) -> DownloadInfo:
        """The download headers of the current version of `file_name`, without its body."""
        async with self._download_by_name(bucket_name, file_name, None, head=True) as stream:
            return stream.info

    async def head_by_id(self, file_id: str) -> DownloadInfo:
        async with self._download_by_id(file_id, None, head=True) as stream:
            return stream.info

    def _download_by_name(
        self, bucket_name: str, file_name: str, byte_range: ByteRange | None, *, head: bool
    ) -> AbstractAsyncContextManager[DownloadStream]:
        def open_stream(a: AccountAuthorization) -> AbstractAsyncContextManager[DownloadStream]:
            return self.raw.download_file_by_name(
                a.download_url,
                a.authorization_token,
                bucket_name=bucket_name,
                file_name=file_name,
                byte_range=byte_range,
                head=head,
            )

        return self._download(open_stream, resumable=not head)

    def _download_by_id(
        self, file_id: str, byte_range: ByteRange | None, *, head: bool
    ) -> AbstractAsyncContextManager[DownloadStream]:
        def open_stream(a: AccountAuthorization) -> AbstractAsyncContextManager[DownloadStream]:
            return self.raw.download_file_by_id(
                a.download_url,
                a.authorization_token,
                file_id=file_id,
                byte_range=byte_range,
                head=head,
            )

        return self._download(open_stream, resumable=not head)

    @asynccontextmanager
    async def _download(
        self,
        open_stream: Callable[[AccountAuthorization], AbstractAsyncContextManager[DownloadStream]],
        *,
        resumable: bool,
    ) -> AsyncIterator[DownloadStream]:
        # Opening (up to the response headers) is retried like any idempotent call.
        async with AsyncExitStack() as stack:

            async def attempt(a: AccountAuthorization) -> DownloadStream:
                return await stack.enter_async_context(open_stream(a))

            stream = await self.call(attempt, idempotent=True)
            if resumable:
                stream.resume_with(
                    self._resumer(stream), self._session.retrier.policy.max_attempts - 1
                )
            yield stream

    def _resumer(self, first: DownloadStream) -> Resume:
        def resume(received: int) -> AbstractAsyncContextManager[DownloadStream]:
            self._session.stats.retries_by_cause["connection"] += 1
            rest = first.remaining_range(received)
            return self._download_by_id(first.info.file_id, rest, head=False)

        return resume
