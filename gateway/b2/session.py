"""`B2Session`: the account token, the HTTP session, and the retry funnel all API calls go through.

What `call()` retries:
- any call, once, after re-authorising on a bad or expired account token;
- idempotent calls (reads, URL fetches, downloads, copy_part) on transient errors;
- other calls only when B2 cannot have acted on them (429, or the connection was never made).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

from gateway.b2.auth import Authorizer, AuthState
from gateway.b2.errors import (
    B2ConnectionError,
    B2Error,
    TooManyRequestsError,
    UnauthorizedError,
)
from gateway.b2.models import AccountAuthorization
from gateway.b2.raw import RawB2
from gateway.b2.retry import Clock, Random, Retrier, RetryPolicy, Sleep
from gateway.b2.stats import ClientStats, OnCall

T = TypeVar("T")
Call = Callable[[AccountAuthorization], Awaitable[T]]

# B2 tokens live 24 h; refresh well before, so a long request never starts on a dying token.
DEFAULT_TOKEN_REFRESH_AFTER = 20 * 3600.0
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=1200)


def _safe_to_repeat(error: B2Error) -> bool:
    """B2 cannot have acted on the request: it refused it up front, or never received it."""
    if isinstance(error, B2ConnectionError):
        return not error.request_sent
    return isinstance(error, TooManyRequestsError)


class B2Session:
    def __init__(
        self,
        realm_url: str,
        key_id: str,
        key: str,
        *,
        session: aiohttp.ClientSession | None,
        clock: Clock,
        sleep: Sleep,
        random: Random,
        retry_policy: RetryPolicy | None,
        on_call: OnCall | None,
        token_refresh_after: float,
    ) -> None:
        if session is not None and session.auto_decompress:
            raise ValueError(
                "the B2 session must use auto_decompress=False (bytes are checksummed)"
            )
        self._realm_url = realm_url
        self._key_id = key_id
        self._key = key
        self._http = session
        self._owns_http = session is None
        self._clock = clock
        self._on_call = on_call
        self.stats = ClientStats()
        self.retrier = Retrier(
            policy=retry_policy or RetryPolicy(),
            clock=clock,
            sleep=sleep,
            random=random,
            on_retry=self._count_retry,
        )
        self._auth = Authorizer(
            self._authorize,
            clock=clock,
            refresh_after=token_refresh_after,
            on_authorize=self._count_authorization,
        )
        self._raw: RawB2 | None = None

    async def open(self) -> None:
        """Create the HTTP session (if none was given) and authorise, so bad keys fail at start."""
        if self._http is None:
            self._http = aiohttp.ClientSession(auto_decompress=False, timeout=DEFAULT_TIMEOUT)
        try:
            await self.account()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.close()
        self._http = None
        self._raw = None

    @property
    def raw(self) -> RawB2:
        if self._raw is None:
            if self._http is None:
                raise RuntimeError("B2Client is not open; use `async with B2Client(...)`")
            self._raw = RawB2(self._http, on_call=self._on_call, clock=self._clock)
        return self._raw

    async def account(self) -> AccountAuthorization:
        return (await self._auth.current()).authorization

    async def call(self, call: Call[T], *, idempotent: bool) -> T:
        """Run `call` with the account token, re-authorising once and retrying what is safe."""
        stale: AuthState | None = None
        reauthorized = False

        async def attempt() -> T:
            nonlocal stale
            state = await (self._auth.reauthorize(stale) if stale else self._auth.current())
            stale = None
            try:
                return await call(state.authorization)
            except B2Error as error:
                if error.reauthorize:
                    stale = state
                raise

        def retry_on(error: B2Error) -> bool:
            nonlocal reauthorized
            if error.reauthorize:
                retry, reauthorized = not reauthorized, True
                return retry
            return error.retryable and (idempotent or _safe_to_repeat(error))

        return await self.retrier.run(attempt, retry_on=retry_on)

    async def _authorize(self) -> AccountAuthorization:
        try:
            return await self.raw.authorize_account(self._realm_url, self._key_id, self._key)
        except B2Error as error:
            if error.status == 401:
                # Whatever code B2 gives, a 401 here means the keys are bad: final, never retried.
                raise UnauthorizedError(
                    error.message, status=error.status, code=error.code
                ) from error
            raise

    def _count_retry(self, error: B2Error) -> None:
        self.stats.retries_by_cause[error.cause] += 1

    def _count_authorization(self) -> None:
        self.stats.authorizations += 1
